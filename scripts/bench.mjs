#!/usr/bin/env node
// `npm run bench -- <name>` runs bench/<name>.ts and passes its one JSON object through.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const available = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(
    `${name ? `No benchmark named "${name}". ` : ''}Usage: npm run bench -- <name>   (available: ${available.join(', ') || 'none'})`,
  );
  process.exit(2);
}
const file = path.join(root, 'bench', `${name}.ts`);
if (!existsSync(file)) process.exit(2);
const child = spawn(process.execPath, ['--import', 'tsx', file, ...process.argv.slice(3)], {
  stdio: 'inherit',
  cwd: root,
});
child.on('exit', (code) => process.exit(code ?? 1));
