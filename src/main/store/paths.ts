import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The WAVE data directory: WAVE_HOME when set, else ~/.wave (the Electron shell passes its userData dir instead). */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.WAVE_HOME?.trim();
  if (home) return path.resolve(home.startsWith('~') ? path.join(os.homedir(), home.slice(1)) : home);
  return path.join(os.homedir(), '.wave');
}

const JOURNAL = path.join('meta', '_journal.json');

/**
 * Finds the generated SQL migrations. Works from source (tsx), from the electron-vite bundle
 * in out/main, and packaged (electron-builder copies migrations/ to resources/ as an
 * extraResource, because files inside app.asar cannot be listed by the migrator reliably).
 */
export function resolveMigrationsDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  // A folder chosen on purpose must not be silently replaced by another one.
  const chosen = explicit ?? env.WAVE_MIGRATIONS_DIR;
  if (chosen) {
    if (fs.existsSync(path.join(chosen, JOURNAL))) return path.resolve(chosen);
    throw new Error(
      `The migrations folder ${chosen} (from ${explicit ? 'the migrationsDir option' : 'WAVE_MIGRATIONS_DIR'}) has no ${JOURNAL}. ` +
        "Point it at the folder drizzle-kit generated (the repository's migrations/), or unset it.",
    );
  }
  const candidates: string[] = [];
  const here = moduleDir();
  if (here) {
    // src/main/store → ../../../migrations; out/main → ../../migrations
    let dir = here;
    for (let i = 0; i < 6; i++) {
      candidates.push(path.join(dir, 'migrations'));
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) candidates.push(path.join(resourcesPath, 'migrations'));
  candidates.push(path.join(process.cwd(), 'migrations'));
  for (const c of candidates) {
    if (fs.existsSync(path.join(c, JOURNAL))) return path.resolve(c);
  }
  throw new Error(
    `Cannot find the database migrations (looked for ${JOURNAL} in: ${[...new Set(candidates)].join(', ')}). ` +
      'Reinstall WAVE, or set WAVE_MIGRATIONS_DIR to the folder that holds the generated migrations.',
  );
}

function moduleDir(): string | null {
  try {
    return path.dirname(fileURLToPath(import.meta.url));
  } catch {
    return typeof __dirname === 'string' ? __dirname : null;
  }
}
