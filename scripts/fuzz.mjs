#!/usr/bin/env node
// `npm run test:fuzz`: the fuzz suite of `npm test` (test/fuzz) with more inputs.
// FUZZ_SCALE multiplies its counts (default 10: 20,000 frames, 4,000 files, 40 processes);
// FUZZ_SEED picks another seeded run (a failure prints the seed that replays it).
import { spawnSync } from 'node:child_process';

const env = { ...process.env, FUZZ_SCALE: process.env.FUZZ_SCALE ?? '10' };
console.log(`fuzz: scale ${env.FUZZ_SCALE}, seed ${env.FUZZ_SEED ?? 'default'}`);
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz', '--testTimeout=0', '--hookTimeout=0'], {
  stdio: 'inherit',
  env,
  shell: process.platform === 'win32',
});
process.exit(r.status ?? 1);
