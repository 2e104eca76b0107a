import { useRef, useState, type DragEvent } from 'react';
import type { ImportFileResult } from '../../../shared/ipc/views';
import { useAppStore } from '../../state/app-store';
import { ui } from '../../state/ui-store';
import { collectFromDataTransfer, collectFromInput } from './collect-files';
import { importCollected, migrateFiles, useImportStore } from './import-store';

const OUTCOME: Record<ImportFileResult['outcome'], { glyph: string; text: string }> = {
  imported: { glyph: '✓', text: 'imported' },
  updated: { glyph: '↻', text: 'updated' },
  unchanged: { glyph: '↺', text: 'unchanged' },
  invalid: { glyph: '✕', text: 'invalid' },
};

export function ImportView() {
  const settings = useAppStore((s) => s.settings);
  const { busy, progress, results, ignored, error } = useImportStore();
  const [over, setOver] = useState(false);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const noProject = settings !== null && !settings.projectPath;

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
    setOver(false);
    void collectFromDataTransfer(e.dataTransfer).then(importCollected, (err: Error) =>
      useImportStore.setState({
        error: {
          message: `Could not read the drop: ${err.message}. Use the file picker instead.`,
          needsProject: false,
        },
      }),
    );
  };
  const migratable = results.filter((r) => r.migratable);
  const counts = results.reduce<Record<string, number>>(
    (acc, r) => ((acc[r.outcome] = (acc[r.outcome] ?? 0) + 1), acc),
    {},
  );

  return (
    <section className="import" aria-label="Import">
      <h2>Import stories and PRDs</h2>
      {noProject ? (
        <p className="callout callout-warn" data-testid="import-no-project">
          No project is set: imports need the git repository the agents will work on.{' '}
          <button type="button" className="btn btn-small" onClick={() => ui.go('settings')}>
            Set it in Settings
          </button>
        </p>
      ) : null}
      <div
        className={`drop-zone${over ? ' over' : ''}${busy ? ' busy' : ''}`}
        data-testid="drop-zone"
        onDragEnter={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
        }}
        onDrop={onDrop}
      >
        <p className="drop-title">Drop stories (.json) or a PRD (.md) here</p>
        <p className="muted">
          Files and whole folders; every file is validated, and nothing is imported from a file with errors.
        </p>
        <div className="drop-actions">
          <button
            type="button"
            className="btn"
            onClick={() => filesInput.current?.click()}
            disabled={busy}
            data-testid="pick-files"
          >
            Choose files…
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => folderInput.current?.click()}
            disabled={busy}
            data-testid="pick-folder"
          >
            Choose a folder…
          </button>
        </div>
        <input
          ref={filesInput}
          type="file"
          multiple
          accept=".json,.md,.markdown,application/json,text/markdown"
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const c = collectFromInput(e.currentTarget.files);
            e.currentTarget.value = '';
            void importCollected(c);
          }}
        />
        <input
          ref={folderInput}
          type="file"
          hidden
          data-testid="folder-input"
          {...{ webkitdirectory: '', directory: '' }}
          onChange={(e) => {
            const c = collectFromInput(e.currentTarget.files);
            e.currentTarget.value = '';
            void importCollected(c);
          }}
        />
        {busy && progress ? (
          <p role="status" data-testid="import-progress">
            {progress.done < progress.total
              ? `Uploading ${progress.done + 1} of ${progress.total} files: ${progress.file}…`
              : `Validating and importing ${progress.total} files…`}
          </p>
        ) : null}
      </div>

      {error ? (
        <div className="callout callout-bad" role="alert" data-testid="import-error">
          <p>{error.message}</p>
          {error.needsProject ? (
            <button type="button" className="btn" onClick={() => ui.go('settings')} data-testid="import-open-settings">
              Open Settings to set the project
            </button>
          ) : null}
        </div>
      ) : null}

      {results.length > 0 ? (
        <section aria-label="Import results" data-testid="import-results">
          <div className="board-toolbar">
            <h3 className="inline-title">
              {results.length} files:{' '}
              {Object.entries(counts)
                .map(([k, v]) => `${v} ${k}`)
                .join(' · ')}
            </h3>
            {migratable.length > 1 ? (
              <button
                type="button"
                className="btn"
                disabled={busy}
                onClick={() => void migrateFiles(migratable.map((r) => r.file))}
              >
                Migrate all {migratable.length} to 4.3
              </button>
            ) : null}
          </div>
          <ul className="result-list">
            {results.map((r) => (
              <ResultRow key={r.file} r={r} busy={busy} />
            ))}
          </ul>
        </section>
      ) : null}
      {ignored.length > 0 ? (
        <p className="muted small" data-testid="import-ignored">
          Not imported (only .json stories and .md PRDs are): {ignored.slice(0, 10).join(', ')}
          {ignored.length > 10 ? ` and ${ignored.length - 10} more` : ''}.
        </p>
      ) : null}
    </section>
  );
}

function ResultRow({ r, busy }: { r: ImportFileResult; busy: boolean }) {
  const o = OUTCOME[r.outcome];
  return (
    <li
      className={`result result-${r.outcome}`}
      data-testid="import-result"
      data-file={r.file}
      data-outcome={r.outcome}
    >
      <div className="result-head">
        <span className="result-outcome">
          <span aria-hidden="true">{o.glyph}</span> {o.text}
        </span>
        <span className="mono">{r.file}</span>
        <span className="muted small">
          {r.kind === 'story' ? `story ${r.storyId ?? ''}` : r.kind === 'prd' ? 'PRD' : 'unknown kind'}
          {r.version ? ` · v${r.version}` : ''}
        </span>
        <span className="spacer" />
        {r.migratable ? (
          <button
            type="button"
            className="btn btn-small"
            disabled={busy}
            onClick={() => void migrateFiles([r.file])}
            data-testid="migrate"
          >
            Migrate to 4.3
          </button>
        ) : null}
        {r.kind === 'prd' && r.outcome !== 'invalid' ? (
          <button type="button" className="btn btn-small" onClick={() => ui.openPrd(null)}>
            Open in PRD view
          </button>
        ) : null}
      </div>
      {r.outcome === 'invalid' ? (
        <p className="small tone-bad">Nothing from this file was imported. Fix it and drop it again.</p>
      ) : null}
      {r.errors.length ? (
        <ul className="problems">
          {r.errors.map((p, i) => (
            <li key={i} className="problem tone-bad" data-testid="import-problem">
              ✕ <span className="mono">{p.pointer || '(file)'}</span> ·{' '}
              {p.line !== null ? `line ${p.line}:${p.column ?? 1}` : 'no line'} · {p.message}
              {p.suggestion ? <span className="suggestion"> · {p.suggestion}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {r.warnings.length ? (
        <ul className="problems">
          {r.warnings.map((p, i) => (
            <li key={i} className="problem tone-warn">
              ⚠ <span className="mono">{p.pointer || '(file)'}</span> ·{' '}
              {p.line !== null ? `line ${p.line}:${p.column ?? 1}` : 'no line'} · {p.message}
              {p.suggestion ? <span className="suggestion"> · {p.suggestion}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {r.notes.length ? (
        <ul className="notes">
          {r.notes.map((n, i) => (
            <li key={i} className="small" data-testid="import-note">
              ℹ {n}
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}
