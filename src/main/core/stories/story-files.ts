import fs from 'node:fs/promises';
import path from 'node:path';
import { MAX_STORY_FILE_BYTES, tooLargeMessage } from './validate-story';

/*
 * Finding and reading the files a person points WAVE at. Folders are walked recursively:
 * *.json files are stories (wave.config.json is the project config), *.md files are PRDs
 * when they start with front matter ("---"), so a README beside the stories is left alone.
 * A file named explicitly is always taken, whatever it looks like.
 */

export type InputKind = 'story' | 'prd' | 'config';

export interface InputFile {
  /** Absolute path. */
  path: string;
  /** How reports name it: relative to cwd when inside it. */
  display: string;
  kind: InputKind;
}

export interface InputProblem {
  path: string;
  display: string;
  message: string;
  suggestion: string;
}

export interface CollectedInputs {
  files: InputFile[];
  /** Paths that do not exist or cannot be listed. */
  problems: InputProblem[];
  /** Files a folder walk passed over on purpose, with why. */
  skipped: Array<{ path: string; display: string; reason: string }>;
}

const SKIPPED_DIRS = new Set(['node_modules', 'out', 'dist', 'coverage']);
const NOT_STORIES = [
  /^package(-lock)?\.json$/,
  /^tsconfig.*\.json$/,
  /^jsconfig\.json$/,
  /\.schema\.json$/,
  /^composer\.json$/,
];

export function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

function kindByName(file: string): InputKind | null {
  const base = path.basename(file).toLowerCase();
  if (base === 'wave.config.json') return 'config';
  if (base.endsWith('.json')) return 'story';
  if (base.endsWith('.md') || base.endsWith('.markdown')) return 'prd';
  return null;
}

async function startsWithFrontMatter(file: string): Promise<boolean> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    return /^(\uFEFF)?---\r?\n?/.test(buf.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await fh.close();
  }
}

export async function collectInputFiles(paths: readonly string[], cwd: string): Promise<CollectedInputs> {
  const out: CollectedInputs = { files: [], problems: [], skipped: [] };
  const seen = new Set<string>();
  const add = (abs: string, kind: InputKind) => {
    if (seen.has(abs)) return;
    seen.add(abs);
    out.files.push({ path: abs, display: displayPath(abs, cwd), kind });
  };

  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      out.problems.push({
        path: dir,
        display: displayPath(dir, cwd),
        message: `Cannot list the folder: ${(e as Error).message}.`,
        suggestion: 'Check the folder exists and is readable.',
      });
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const ent of entries) {
      const abs = path.join(dir, ent.name);
      if (ent.isDirectory()) {
        if (ent.name.startsWith('.') || SKIPPED_DIRS.has(ent.name)) continue;
        await walk(abs);
      } else if (ent.isFile()) {
        const kind = kindByName(ent.name);
        if (!kind) continue;
        if (kind === 'story' && NOT_STORIES.some((re) => re.test(ent.name.toLowerCase()))) {
          out.skipped.push({
            path: abs,
            display: displayPath(abs, cwd),
            reason: 'not a story file (tooling configuration or a schema)',
          });
          continue;
        }
        if (kind === 'prd' && !(await startsWithFrontMatter(abs).catch(() => false))) {
          out.skipped.push({
            path: abs,
            display: displayPath(abs, cwd),
            reason:
              'markdown without front matter (---) is not taken as a PRD in a folder; name the file explicitly to import it',
          });
          continue;
        }
        add(abs, kind);
      }
    }
  };

  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let st;
    try {
      st = await fs.stat(abs);
    } catch {
      out.problems.push({
        path: abs,
        display: displayPath(abs, cwd),
        message: 'No such file or folder.',
        suggestion: 'Check the path (it is relative to the current folder).',
      });
      continue;
    }
    if (st.isDirectory()) await walk(abs);
    else add(abs, kindByName(abs) ?? 'story');
  }
  return out;
}

export type ReadResult =
  | { ok: true; text: string; bytes: number }
  | { ok: false; code: 'too-large' | 'unreadable' | 'not-utf8'; message: string; suggestion: string };

function cannotRead(e: unknown): ReadResult {
  return {
    ok: false,
    code: 'unreadable',
    message: `Cannot read the file: ${(e as Error).message}.`,
    suggestion: 'Check the path and its permissions.',
  };
}

/** Reads a file as UTF-8 text, refusing files over 1 MB before reading them. */
export async function readInputFile(file: string, maxBytes = MAX_STORY_FILE_BYTES): Promise<ReadResult> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (e) {
    return cannotRead(e);
  }
  if (!st.isFile())
    return {
      ok: false,
      code: 'unreadable',
      message: 'This is not a regular file.',
      suggestion: 'Point at a .json story or a .md PRD.',
    };
  if (st.size > maxBytes) return { ok: false, code: 'too-large', ...tooLargeMessage(st.size) };
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    return cannotRead(e);
  }
  if (buf.length > maxBytes) return { ok: false, code: 'too-large', ...tooLargeMessage(buf.length) };
  try {
    return {
      ok: true,
      text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf),
      bytes: buf.length,
    };
  } catch {
    return {
      ok: false,
      code: 'not-utf8',
      message: 'The file is not UTF-8 text.',
      suggestion: 'Save it as UTF-8 (most editors offer this in "Save with encoding").',
    };
  }
}
