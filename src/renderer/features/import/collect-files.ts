/** A file the lead dropped or picked, with its path relative to what was dropped. */
export interface PickedFile {
  name: string;
  file: File;
}

export interface Collected {
  files: PickedFile[];
  /** Files left out because WAVE imports only .json stories and .md PRDs. */
  ignored: string[];
}

const IMPORTABLE = /\.(json|md|markdown)$/i;
/** Folders never worth uploading (dependencies, VCS internals). */
const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'out', '.wave']);
const MAX_FILES = 1000;

function keep(out: Collected, name: string, file: File): void {
  if (!IMPORTABLE.test(name)) {
    out.ignored.push(name);
    return;
  }
  if (out.files.length >= MAX_FILES) {
    out.ignored.push(`${name} (over ${MAX_FILES} files in one drop)`);
    return;
  }
  let unique = name;
  for (let i = 2; out.files.some((f) => f.name === unique); i++) unique = name.replace(/(\.[^.]+)$/, ` (${i})$1`);
  out.files.push({ name: unique, file });
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** readEntries returns at most ~100 entries per call: read until it returns none. */
async function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, out: Collected): Promise<void> {
  const name = entry.fullPath.replace(/^\/+/, '') || entry.name;
  if (entry.isFile) {
    keep(out, name, await fileOf(entry as FileSystemFileEntry));
  } else if (entry.isDirectory) {
    if (SKIP_DIRS.has(entry.name)) return;
    const children = await readAll(entry as FileSystemDirectoryEntry);
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const c of children) await walk(c, out);
  }
}

/**
 * Everything in a drop: files, and folders walked recursively. Entries must be taken
 * from the DataTransfer before the drop handler returns, so this is called synchronously
 * from it and only the walking is asynchronous.
 */
export function collectFromDataTransfer(dt: DataTransfer): Promise<Collected> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  const items = dt.items ? [...dt.items] : [];
  for (const item of items) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (items.length === 0) loose.push(...[...(dt.files ?? [])]);
  return (async () => {
    const out: Collected = { files: [], ignored: [] };
    for (const e of entries) await walk(e, out);
    for (const f of loose) keep(out, f.webkitRelativePath || f.name, f);
    return out;
  })();
}

/** Files from <input type=file multiple> or a folder picker (webkitdirectory). */
export function collectFromInput(list: FileList | null): Collected {
  const out: Collected = { files: [], ignored: [] };
  for (const f of [...(list ?? [])]) {
    const path = f.webkitRelativePath || f.name;
    if (path.split('/').some((p) => SKIP_DIRS.has(p))) continue;
    keep(out, path, f);
  }
  return out;
}
