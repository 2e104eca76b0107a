import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'wave-control-center';

/**
 * The folder of WAVE's own package.json: a checkout, or where `npm install -g` put it. Found
 * by walking up from this module, since the sources (src/main/cli) and the bundle (out/main
 * and its chunks) sit at different depths.
 */
export function packageRoot(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not a readable package.json: keep looking above.
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** The package version, read from WAVE's package.json. */
export function packageVersion(): string {
  const root = packageRoot();
  try {
    const pkg = root ? (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }) : {};
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
