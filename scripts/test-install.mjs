#!/usr/bin/env node
// `npm run test:install`: `wave` on PATH as a user gets it. Packs the checkout (`npm pack`, whose
// prepack builds the bundle), installs the tarball globally into a temp prefix
// (`npm install -g --prefix <tmp>`, from npm's cache where it can), then runs the installed
// `wave` from a folder outside the checkout: --version, validate, status on a fresh data dir
// (creates the embedded database from the packaged migrations) and demo's scripted agent lookup.
// Kept out of `npm test` because installing the dependencies takes 20–40 s on a small machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const work = mkdtempSync(path.join(os.tmpdir(), 'wave-install-test-'));
const t0 = performance.now();
const say = (line) =>
  process.stdout.write(`[test:install] ${line} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    shell: process.platform === 'win32',
    ...opts,
    env: { ...process.env, ...opts.env },
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

try {
  say('npm pack (builds first)…');
  run(npm, ['pack', '--silent', '--pack-destination', work], { cwd: root });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote no tarball');
  const prefix = path.join(work, 'prefix');
  say(`npm install -g --prefix ${prefix} ${tarball}…`);
  run(
    npm,
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(work, tarball)],
    { cwd: work },
  );
  const bin = process.platform === 'win32' ? path.join(prefix, 'wave.cmd') : path.join(prefix, 'bin', 'wave');
  const away = mkdtempSync(path.join(work, 'elsewhere-'));
  const env = {
    PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH}`,
    WAVE_HOME: path.join(work, 'home'),
    DATABASE_URL: '',
    REDIS_URL: '',
  };
  const wave = (...args) => run(bin, args, { cwd: away, env });

  const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  assert.equal(wave('--version').trim(), version, 'wave --version prints the package version');
  say(`wave --version → ${version}`);

  const story = path.join(away, 'S-1.json');
  writeFileSync(story, readFileSync(path.join(root, 'test', 'fixtures', 'stories', 'valid', 'v43-full.json')));
  const validated = JSON.parse(wave('validate', story, '--json'));
  assert.equal(validated.files[0].valid, true, `wave validate: ${JSON.stringify(validated)}`);
  say('wave validate → valid');

  assert.deepEqual(
    JSON.parse(wave('status', '--json')),
    { sessions: [] },
    'wave status on a new data dir lists no session',
  );
  say('wave status --json → a new embedded database, no sessions');

  const help = wave('demo', '--help');
  assert.match(help, /Usage: wave demo/);
  const installed = path.join(prefix, process.platform === 'win32' ? '' : 'lib', 'node_modules', 'wave-control-center');
  for (const f of [
    'e2e/fixtures/agents/scripted-agent.mjs',
    'e2e/fixtures/agents/qa-check.mjs',
    'out/renderer/index.html',
    'migrations/meta/_journal.json',
  ]) {
    assert.doesNotThrow(() => readFileSync(path.join(installed, f)), `the package ships ${f}`);
  }
  say('passed');
} catch (e) {
  process.stderr.write(`[test:install] FAILED: ${e.stack ?? e}\n`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
