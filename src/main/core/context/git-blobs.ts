import { spawn } from 'node:child_process';
import { gitEnv, runGit } from '../executor/git';

export interface TreeEntry {
  path: string;
  blob: string;
  size: number;
}

/** Every file (blob) of a tree with its size: `git ls-tree -r -l -z`. Submodules and links are left out. */
export async function listTree(repo: string, tree: string): Promise<TreeEntry[]> {
  const out = (await runGit(repo, ['ls-tree', '-r', '-l', '-z', '--full-tree', tree])).stdout;
  const entries: TreeEntry[] = [];
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, blob, size] = rec.slice(0, tab).split(/\s+/);
    if (type !== 'blob' || mode === '120000') continue;
    entries.push({ path: rec.slice(tab + 1), blob: blob!, size: Number(size) });
  }
  return entries;
}

/**
 * The contents of many blobs through one `git cat-file --batch` process (argv only, no shell).
 * With `onBlob`, each blob is handed over as it arrives (and not kept), so the caller's work
 * overlaps git's reading.
 */
export function readBlobs(
  repo: string,
  blobs: readonly string[],
  onBlob?: (sha: string, content: Buffer) => void,
): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const result = new Map<string, Buffer>();
    if (blobs.length === 0) return resolve(result);
    const child = spawn('git', ['cat-file', '--batch'], { cwd: repo, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let buf: Buffer = Buffer.alloc(0);
    let err = '';
    let failed: Error | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        const header = buf.subarray(0, nl).toString('utf8');
        const [sha, type, size] = header.split(' ');
        if (type === 'missing') {
          buf = buf.subarray(nl + 1);
          continue;
        }
        const n = Number(size);
        if (buf.length < nl + 1 + n + 1) return;
        if (!onBlob) result.set(sha!, buf.subarray(nl + 1, nl + 1 + n));
        else if (!failed)
          try {
            onBlob(sha!, buf.subarray(nl + 1, nl + 1 + n));
          } catch (error) {
            failed = error as Error;
            child.kill();
          }
        buf = buf.subarray(nl + 2 + n);
      }
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (failed) reject(failed);
      else if (code !== 0) reject(new Error(`git cat-file --batch failed in ${repo} (exit ${code}): ${err.trim()}`));
      else resolve(result);
    });
    child.stdin.end(`${blobs.join('\n')}\n`);
  });
}
