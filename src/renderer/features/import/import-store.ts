import { create } from 'zustand';
import type { ApiError } from '../../../shared/ipc/result';
import type { ImportFileResult } from '../../../shared/ipc/views';
import { api } from '../../api/client';
import { describeError } from '../../lib/errors';
import type { Collected, PickedFile } from './collect-files';
import { ImportError, uploadAndImport } from './upload';

export interface ImportState {
  busy: boolean;
  progress: { done: number; total: number; file: string } | null;
  results: ImportFileResult[];
  ignored: string[];
  error: { message: string; needsProject: boolean } | null;
  /** The files of the last drop, kept in memory so "Migrate to 4.3" can send them again. */
  files: Map<string, PickedFile>;
  /** When the last import finished (for "imported at" and focus handling). */
  finishedAt: number | null;
}

export const useImportStore = create<ImportState>(() => ({
  busy: false,
  progress: null,
  results: [],
  ignored: [],
  error: null,
  files: new Map(),
  finishedAt: null,
}));

const importApi = { stage: api.import.stage, commit: api.import.commit };

function failure(e: unknown): ImportState['error'] {
  if (e instanceof ImportError) {
    const needsProject = e.error.code === 'precondition_failed' && /project/i.test(e.error.message);
    return {
      message: describeError(e.file ? `upload ${e.file}` : 'import the files', e.error as ApiError),
      needsProject,
    };
  }
  return {
    message: `Could not read the dropped files: ${(e as Error).message}. Drop them again, or use the file picker.`,
    needsProject: false,
  };
}

/** Uploads and imports a drop or a pick; the result list replaces the previous one. */
export async function importCollected(collected: Collected): Promise<void> {
  if (useImportStore.getState().busy) return;
  if (collected.files.length === 0) {
    useImportStore.setState({
      results: [],
      ignored: collected.ignored,
      error: {
        message: `Nothing to import: ${collected.ignored.length ? `${collected.ignored.length} file(s) were not .json or .md` : 'the drop held no files'}. Drop story files (.json) or a PRD (.md).`,
        needsProject: false,
      },
    });
    return;
  }
  useImportStore.setState({
    busy: true,
    error: null,
    ignored: collected.ignored,
    results: [],
    progress: { done: 0, total: collected.files.length, file: '' },
  });
  try {
    const results = await uploadAndImport(importApi, collected.files, {
      onProgress: (done, total, file) => useImportStore.setState({ progress: { done, total, file } }),
    });
    useImportStore.setState({
      results,
      files: new Map(collected.files.map((f) => [f.name, f])),
      finishedAt: Date.now(),
    });
  } catch (e) {
    useImportStore.setState({ error: failure(e) });
  } finally {
    useImportStore.setState({ busy: false, progress: null });
  }
}

/** Sends the named files again with migrate: true; their rows are replaced by the new results. */
export async function migrateFiles(names: readonly string[]): Promise<void> {
  const s = useImportStore.getState();
  if (s.busy) return;
  const files = names.map((n) => s.files.get(n)).filter((f): f is PickedFile => !!f);
  if (files.length === 0) {
    useImportStore.setState({
      error: {
        message: 'The original files are no longer in memory: drop them again, then migrate.',
        needsProject: false,
      },
    });
    return;
  }
  useImportStore.setState({ busy: true, error: null, progress: { done: 0, total: files.length, file: '' } });
  try {
    const fresh = await uploadAndImport(importApi, files, {
      migrate: true,
      onProgress: (done, total, file) => useImportStore.setState({ progress: { done, total, file } }),
    });
    const byName = new Map(fresh.map((r) => [r.file, r]));
    useImportStore.setState((st) => ({
      results: st.results.map((r) => byName.get(r.file) ?? r),
      finishedAt: Date.now(),
    }));
  } catch (e) {
    useImportStore.setState({ error: failure(e) });
  } finally {
    useImportStore.setState({ busy: false, progress: null });
  }
}
