#!/usr/bin/env node
// `wave` entry point: runs the bundle `npm run build` writes to out/main/cli.js (plain Node,
// commands loaded on demand). WAVE_FROM_SOURCE=1 runs the TypeScript sources through tsx
// instead (development, in a checkout with its devDependencies installed).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
const sources = fileURLToPath(new URL('../src/main/cli/main.ts', import.meta.url));

if (process.env.WAVE_FROM_SOURCE === '1' && existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(sources).href);
} else if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href);
} else {
  process.stderr.write(
    `wave: the command line is not built (no ${bundle}).\n` +
      (existsSync(sources)
        ? 'Run `npm run build` in this checkout first (or set WAVE_FROM_SOURCE=1 to run the TypeScript sources through tsx, slower).\n'
        : 'This installation is incomplete: reinstall WAVE Control Center.\n'),
  );
  process.exit(1);
}
