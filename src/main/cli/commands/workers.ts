import type { FleetView, FleetWorkerView } from '../../../shared/ipc/fleet';
import { drainWorker, fleetView } from '../../core/fleet/fleet-view';
import { CliError, EXIT_USAGE, orchestratorToCli, snakeCased, type CliCommand } from '../cli-types';
import { withCliCore } from '../core-runtime';

const JSON_FIELDS = [
  'id',
  'name',
  'host',
  'pid',
  'version',
  'concurrency',
  'storyRuns',
  'heartbeatAgeMs',
  'heartbeatMs',
  'cpu',
  'memoryBytes',
  'agentsAlive',
  'draining',
  'state',
  'startedAt',
] as const satisfies readonly (keyof FleetWorkerView)[];
const toJson = (w: FleetWorkerView) => snakeCased(w, JSON_FIELDS);

const STATE_TEXT: Record<FleetWorkerView['state'], string> = {
  taking: 'taking work',
  drain_requested: 'drain asked (not confirmed yet)',
  draining: 'draining',
  drained: 'drained (idle, takes none)',
  silent: 'silent (no heartbeat)',
};

function render(view: FleetView): string {
  if (view.workers.length === 0)
    return 'No worker is running. Start one on each machine with: wave worker --work-dir DIR (with the shared DATABASE_URL and REDIS_URL).';
  const head = `${'NAME'.padEnd(14)} ${'HOST'.padEnd(18)} ${'PID'.padStart(7)} ${'VERSION'.padEnd(9)} RUNS  ${'HEARTBEAT'.padStart(9)} ${'CPU'.padStart(5)} ${'MEMORY'.padStart(8)} AGENTS  STATE`;
  const rows = view.workers.map(
    (w) =>
      `${w.name.padEnd(14)} ${w.host.padEnd(18)} ${String(w.pid).padStart(7)} ${w.version.padEnd(9)} ${`${w.storyRuns.length}/${w.concurrency}`.padEnd(5)} ${`${(w.heartbeatAgeMs / 1000).toFixed(1)} s`.padStart(9)} ${w.cpu.toFixed(2).padStart(5)} ${`${Math.round(w.memoryBytes / 1024 / 1024)} MB`.padStart(8)} ${String(w.agentsAlive).padStart(6)}  ${STATE_TEXT[w.state]}`,
  );
  return [head, ...rows].join('\n');
}

/** `wave workers`: the fleet's workers, and drain / resume of one. */
export const workersCommand: CliCommand = {
  name: 'workers',
  summary: 'List the fleet workers (wave worker) of the shared store; drain one, or let it take work again',
  usage: 'wave workers [--json] | wave workers drain <name> [--json] | wave workers resume <name> [--json]',
  options: {},
  help: [
    'Lists each running worker: name, host, pid, version, story runs held / concurrency, heartbeat age, the',
    "machine's CPU load per core, the worker's memory, agents alive, and its state: taking work, drain asked (not",
    'confirmed yet), draining (finishing its story runs, taking none), drained, or silent (no heartbeat for three of',
    'its intervals: paused, cut off or killed; its story runs go to others when their lease ends).',
    'drain <name>: the worker finishes its story runs and takes no more; told at once on the control channel, it',
    'confirms within a heartbeat (the command waits up to 5 s). resume <name>: it takes story runs again.',
    "Needs the fleet's shared Postgres (DATABASE_URL).",
    '--json: {"workers":[{"id","name","host","pid","version","concurrency","story_runs","heartbeat_age_ms","heartbeat_ms","cpu",',
    '"memory_bytes","agents_alive","draining","state","started_at"}]}.',
  ].join('\n'),
  async run(ctx, args) {
    const [verb, name, ...extra] = args.positionals;
    if (extra.length || (verb !== undefined && verb !== 'drain' && verb !== 'resume') || (verb && !name))
      throw new CliError(`Usage: ${workersCommand.usage}`, EXIT_USAGE, 'usage');
    if (!ctx.settings.databaseUrl)
      throw new CliError(
        'wave workers reads the fleet from its shared Postgres: set DATABASE_URL (the one the workers use).',
        1,
        'fleet_unavailable',
      );
    return withCliCore(ctx, async (core) => {
      const view = verb
        ? await drainWorker(core.store, core.control(), name!, verb === 'drain').catch(orchestratorToCli)
        : await fleetView(core.store);
      ctx.output({ workers: view.workers.map(toJson) }, () => render(view));
      return 0;
    });
  },
};
