import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WAVE_BUNDLE = path.join(ROOT, 'out', 'main', 'cli.js');
/** What the bundle is built from: a change in any of these makes it stale. */
const INPUTS = ['src/main', 'src/shared', 'schemas', 'electron.vite.config.ts'];

function newestSource(): { file: string; mtimeMs: number } {
  let newest = { file: '', mtimeMs: 0 };
  for (const input of INPUTS) {
    const abs = path.join(ROOT, input);
    const files = statSync(abs).isDirectory()
      ? readdirSync(abs, { recursive: true }).map((f) => path.join(abs, String(f)))
      : [abs];
    for (const file of files) {
      if (file.includes('.test.')) continue;
      const st = statSync(file);
      if (st.isFile() && st.mtimeMs > newest.mtimeMs) newest = { file, mtimeMs: st.mtimeMs };
    }
  }
  return newest;
}

/**
 * Tests spawn `wave` as users run it, from the bundle. `npm test` builds before the unit
 * stage; a `npx vitest run` after editing a source rebuilds here (a second or two) rather
 * than test yesterday's bundle.
 */
export function ensureWaveBundle(): void {
  const newest = newestSource();
  const built = existsSync(WAVE_BUNDLE) ? statSync(WAVE_BUNDLE).mtimeMs : 0;
  if (built >= newest.mtimeMs) return;
  process.stderr.write(
    `[vitest] ${built ? `${path.relative(ROOT, newest.file)} is newer than the wave bundle` : 'no wave bundle yet'}: npm run build…\n`,
  );
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0)
    throw new Error(`npm run build failed (exit ${r.status ?? r.signal}); the tests that spawn wave need its bundle.`);
}

export default function setup(): void {
  ensureWaveBundle();
}
