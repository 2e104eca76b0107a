/*
 * Command-line start-up (`npm run bench -- cli`), each figure the median of BENCH_ROUNDS (default 9)
 * fresh processes, measured in the same run as its floors:
 *   floor_ms                 `node -e 0`: starting Node and nothing else
 *   store_open_process_ms    a Node process that opens the same migrated PGlite directory bare
 *                            (`new PGlite(dir)`, `select 1`, close): floor + store open
 *   store_open_ms            store_open_process_ms − floor_ms
 *   version_ms               `wave --version` (the built bundle, as installed)
 *   status_ms                `wave status --json` on that data dir (opens the store, checks migrations, lists sessions)
 *   validate_ms              `wave validate <one story> --json` (no store)
 *   version_from_source_ms   `WAVE_FROM_SOURCE=1 wave --version`: the same CLI from the sources through tsx (the
 *                            development path; before the bundle every `wave` ran like this, loading every command)
 * Targets: version_ms ≤ 3 × floor_ms; status_ms and validate_ms ≤ floor_ms + store_open_ms.
 * Run `npm run build` first (the bench refuses to measure a missing bundle).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPgliteTestStore } from '../test/helpers/pglite';
import { emit, progress } from './_harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WAVE = path.join(ROOT, 'bin', 'wave.mjs');
const BUNDLE = path.join(ROOT, 'out', 'main', 'cli.js');
const STORY = path.join(ROOT, 'test', 'fixtures', 'stories', 'valid', 'v43-full.json');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const SOURCE_ROUNDS = Math.min(ROUNDS, 3);

const say = (line: string) => progress(`[bench cli] ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Wall time of one process from spawn to exit; it must exit 0. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr || r.stdout}`);
  return ms;
}

function measure(label: string, args: string[], env: NodeJS.ProcessEnv = {}, rounds = ROUNDS): number {
  timeProcess(args, env); // warm the page cache
  const samples = Array.from({ length: rounds }, () => timeProcess(args, env));
  const m = round1(median(samples));
  say(`${label}: ${m} ms (median of ${rounds})`);
  return m;
}

async function main() {
  if (!existsSync(BUNDLE)) throw new Error(`No wave bundle at ${BUNDLE}: run \`npm run build\` first.`);
  const seeded = await openPgliteTestStore();
  await seeded.store.close();
  const home = seeded.dataDir;
  const env = { WAVE_HOME: home, DATABASE_URL: '', REDIS_URL: '' };
  try {
    // Each figure is a run of fresh processes; the floor is measured first and last, so a
    // machine that got busier in between shows up as two different floors.
    const floorBefore = measure('node -e 0', ['-e', '0']);
    const bareOpen = [
      '--input-type=module',
      '-e',
      `import { PGlite } from '@electric-sql/pglite'; const pg = new PGlite(${JSON.stringify(path.join(home, 'pgdata'))}); await pg.query('select 1'); await pg.close();`,
    ];
    const storeOpenProcess = measure('bare PGlite open', bareOpen);
    const version = measure('wave --version', [WAVE, '--version'], env);
    const status = measure('wave status --json', [WAVE, 'status', '--json'], env);
    const validate = measure('wave validate <story> --json', [WAVE, 'validate', STORY, '--json'], env);
    const fromSource = measure(
      'WAVE_FROM_SOURCE=1 wave --version',
      [WAVE, '--version'],
      { ...env, WAVE_FROM_SOURCE: '1' },
      SOURCE_ROUNDS,
    );
    const floorAfter = measure('node -e 0 (again)', ['-e', '0']);
    const floor = round1(Math.min(floorBefore, floorAfter));
    const storeOpen = round1(Math.max(0, storeOpenProcess - floor));
    emit({
      bench: 'cli',
      rounds: ROUNDS,
      floor_ms: floor,
      floor_after_ms: floorAfter,
      store_open_process_ms: storeOpenProcess,
      store_open_ms: storeOpen,
      version_ms: version,
      status_ms: status,
      validate_ms: validate,
      version_from_source_ms: fromSource,
      version_x_floor: round1(version / floor),
      targets: {
        version_le_3x_floor: version <= 3 * floor,
        status_le_floor_plus_store_open: status <= floor + storeOpen,
        validate_le_floor_plus_store_open: validate <= floor + storeOpen,
      },
    });
  } finally {
    await seeded.close();
  }
}

main().catch((e) => {
  process.stderr.write(`[bench cli] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
