#!/usr/bin/env node
// `npm start`: the desktop app where the Electron binary exists, otherwise one line saying
// so and the same control center in headless mode (wave serve), whose URL it prints.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'node_modules', 'electron', 'dist');
const binary =
  process.platform === 'darwin'
    ? path.join(dist, 'Electron.app', 'Contents', 'MacOS', 'Electron')
    : path.join(dist, process.platform === 'win32' ? 'electron.exe' : 'electron');

const [cmd, args] = existsSync(binary)
  ? [binary, [path.join(root, 'out', 'main', 'index.js'), ...process.argv.slice(2)]]
  : (console.log(
      `Electron binary not found at ${path.relative(root, binary)} (it downloads on first install and needs network); starting headless mode instead:`,
    ),
    [process.execPath, [path.join(root, 'bin', 'wave.mjs'), 'serve', ...process.argv.slice(2)]]);

const child = spawn(cmd, args, { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
