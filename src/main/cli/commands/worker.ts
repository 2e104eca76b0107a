import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createControlChannel } from '../../core/control';
import { FleetWorker } from '../../core/fleet/fleet-worker';
import { resolveSettings } from '../../core/settings/wave-settings';
import { CliError, usageError, type CliCommand } from '../cli-types';
import { cliBus, openCliCore } from '../core-runtime';
import { packageVersion } from '../version';

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--${name} must be a whole number above 0.`);
  return n;
}

/**
 * `wave worker`: one machine of the fleet. Takes story runs of running sessions from the
 * shared store (Postgres) and queue (Redis), runs each in a worktree of its own clone of
 * the project's remote, and lands them there (src/main/core/fleet).
 */
export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'Run story runs of fleet sessions (wave run --fleet) on this machine',
  usage:
    'wave worker --work-dir DIR [--name N] [--concurrency N] [--database-url URL] [--redis-url URL] [--lease-ms MS] [--json]',
  options: {
    name: { type: 'string' },
    concurrency: { type: 'string' },
    'work-dir': { type: 'string' },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
    'lease-ms': { type: 'string' },
  },
  help: [
    'Needs the shared Postgres (DATABASE_URL or --database-url) and Redis (REDIS_URL or --redis-url) of the coordinator.',
    "Clones each project's remote (project.remote in wave.config.json) into --work-dir once and fetches it before each story.",
    'A story run is leased for --lease-ms (default 15000); a worker that is killed or cut off loses it and another takes over.',
    "A STOP of a session (wave stop, a window) reaches it at once: it stops that session's agents and answers with its counts.",
    'wave workers lists the workers; wave workers drain <name> makes this one finish its story runs and take none.',
    'SIGTERM or Ctrl+C: takes no more story runs, lets the running ones finish, then leaves the fleet.',
  ].join('\n'),
  async run(ctx, args) {
    const v = args.values;
    const workDirArg = v['work-dir'];
    if (typeof workDirArg !== 'string' || !workDirArg)
      throw usageError('--work-dir DIR is required: where the worker keeps its clones.');
    const env = {
      ...ctx.settings.env,
      ...(typeof v['database-url'] === 'string' ? { DATABASE_URL: v['database-url'] } : {}),
      ...(typeof v['redis-url'] === 'string' ? { REDIS_URL: v['redis-url'] } : {}),
    };
    const settings = resolveSettings(env, { dataDir: ctx.settings.dataDir });
    if (!settings.databaseUrl || !settings.redisUrl)
      throw new CliError(
        'wave worker needs the shared Postgres and Redis of the fleet: set DATABASE_URL and REDIS_URL (or --database-url and --redis-url).',
        1,
        'fleet_unavailable',
      );
    const concurrency = positiveInt(v.concurrency, 'concurrency', 2);
    const leaseMs = positiveInt(v['lease-ms'], 'lease-ms', 15_000);
    const workDir = path.resolve(ctx.cwd, workDirArg);
    mkdirSync(workDir, { recursive: true });
    const name = typeof v.name === 'string' && v.name ? v.name : `${process.pid}`;
    const log = (line: string) => ctx.stderr.write(`[worker ${name}] ${line}\n`);
    const core = await openCliCore(ctx, { settings, log: 'always' });
    const bus = await cliBus(core);
    const dataDir = path.join(workDir, 'data');
    // STOP requests reach the worker at once on it (Redis pub/sub, Postgres NOTIFY) and it answers there.
    const channel = createControlChannel({ ...settings, dataDir }, log);
    const worker = new FleetWorker({
      store: core.store,
      bus,
      prds: core.prds,
      dataDir,
      workDir,
      env: settings.env,
      options: {
        agentEnv: {},
        phaseTimeoutMs: null,
        graceMs: settings.stopGraceMs ?? 2_000,
        controlIntervalMs: 250,
        heartbeatMs: Math.max(200, Math.round(leaseMs / 3)),
        leaseMs,
        storyChangeIntervalMs: 100,
        metricsIntervalMs: 1_000,
        priceFile: undefined,
        committer: { name: 'WAVE Control Center', email: 'wave@localhost.invalid' },
      },
      source: `worker:${name}`,
      log,
      name,
      concurrency,
      version: packageVersion(),
      redisUrl: settings.redisUrl,
      redisPrefix: settings.redisPrefix,
      leaseMs,
      heartbeatMs: Math.max(200, Math.round(leaseMs / 3)),
      channel,
    });
    await worker.start();
    ctx.output(
      { id: worker.id, name, pid: process.pid, workDir, concurrency, leaseMs },
      () =>
        `worker ${name} (${worker.id}) takes story runs: concurrency ${concurrency}, lease ${leaseMs} ms, work dir ${workDir}`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    log('stopping: no new story runs; finishing the running ones');
    await worker.close();
    await channel.close();
    await core.close().catch(() => undefined);
    return 0;
  },
};
