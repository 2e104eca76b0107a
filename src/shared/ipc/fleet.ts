import { z } from 'zod';

/*
 * The fleet as the window and `wave stop`/`wave workers` show it: what each `wave worker`
 * answered to a STOP, grouped per host, and the workers' read model.
 */

/** One worker's answer to a STOP of a session whose story runs it held. */
export const FleetWorkerStop = z.object({
  workerId: z.string(),
  name: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** False when it did not answer within the grace: its counts are unknown (0 here). */
  answered: z.boolean(),
  stoppedAgents: z.number().int().nonnegative(),
  aliveAfter: z.number().int().nonnegative(),
});
export type FleetWorkerStop = z.infer<typeof FleetWorkerStop>;

export const FleetHostStop = z.object({
  host: z.string(),
  stoppedAgents: z.number().int().nonnegative(),
  aliveAfter: z.number().int().nonnegative(),
  /** Every worker of this host answered. */
  answered: z.boolean(),
  workers: z.array(FleetWorkerStop),
});
export type FleetHostStop = z.infer<typeof FleetHostStop>;

/** What a STOP of a fleet session reached: the totals per host, and the hosts that did not answer. */
export const FleetStopReport = z.object({
  hosts: z.array(FleetHostStop),
  /** Hosts with a worker that did not answer within the grace. */
  unansweredHosts: z.array(z.string()),
  graceMs: z.number().int().nonnegative(),
});
export type FleetStopReport = z.infer<typeof FleetStopReport>;

/** Groups the workers' answers per host (hosts and workers in name order). */
export function fleetStopReport(workers: readonly FleetWorkerStop[], graceMs: number): FleetStopReport {
  const byHost = new Map<string, FleetWorkerStop[]>();
  for (const w of workers) byHost.set(w.host, [...(byHost.get(w.host) ?? []), w]);
  const hosts = [...byHost.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, ws]) => ({
      host,
      stoppedAgents: ws.reduce((n, w) => n + w.stoppedAgents, 0),
      aliveAfter: ws.reduce((n, w) => n + w.aliveAfter, 0),
      answered: ws.every((w) => w.answered),
      workers: [...ws].sort((a, b) => a.name.localeCompare(b.name)),
    }));
  return { hosts, unansweredHosts: hosts.filter((h) => !h.answered).map((h) => h.host), graceMs };
}

/**
 * Where a worker is: taking story runs; asked to drain but not yet confirmed at its heartbeat
 * or on the control channel; draining (finishing its runs, taking none); drained (draining with
 * none left); or silent (no heartbeat for three of its intervals: paused, cut off, killed).
 */
export const FleetWorkerState = z.enum(['taking', 'drain_requested', 'draining', 'drained', 'silent']);
export type FleetWorkerState = z.infer<typeof FleetWorkerState>;

/** A `wave worker` as `wave workers` and the fleet view show it. */
export const FleetWorkerView = z.object({
  id: z.string(),
  name: z.string(),
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  concurrency: z.number().int(),
  /** The story runs it runs now (`<session>:<story>`). */
  storyRuns: z.array(z.string()),
  heartbeatAgeMs: z.number().nonnegative(),
  /** Its heartbeat interval. */
  heartbeatMs: z.number().int().positive(),
  /** The machine's 1-minute load average per core. */
  cpu: z.number().nonnegative(),
  /** The worker process's resident memory. */
  memoryBytes: z.number().int().nonnegative(),
  agentsAlive: z.number().int().nonnegative(),
  /** A drain was asked for (wave workers drain, the fleet view). */
  draining: z.boolean(),
  state: FleetWorkerState,
  startedAt: z.string(),
});
export type FleetWorkerView = z.infer<typeof FleetWorkerView>;

export const FleetView = z.object({ workers: z.array(FleetWorkerView) });
export type FleetView = z.infer<typeof FleetView>;

/** How many heartbeat intervals without one make a worker silent. */
export const SILENT_AFTER_HEARTBEATS = 3;

/** One rule for a worker's state, from what its row says. */
export function fleetWorkerState(w: {
  draining: boolean;
  /** What the worker itself reported at its last heartbeat. */
  drainingSeen: boolean;
  storyRuns: number;
  heartbeatAgeMs: number;
  heartbeatMs: number;
}): FleetWorkerState {
  if (w.heartbeatAgeMs > SILENT_AFTER_HEARTBEATS * w.heartbeatMs) return 'silent';
  if (!w.draining) return 'taking';
  if (!w.drainingSeen) return 'drain_requested';
  return w.storyRuns > 0 ? 'draining' : 'drained';
}

/**
 * Why a session cannot run on the fleet here, or null when it can: the workers take story runs
 * from a shared Postgres (DATABASE_URL) and Redis (REDIS_URL). One rule for `wave run --fleet`,
 * `session.start` with `fleet` and the window's "Run on the fleet" choice.
 */
export function fleetUnavailable(has: { postgres: boolean; redis: boolean }): string | null {
  if (has.postgres && has.redis) return null;
  const missing = [
    !has.postgres ? 'DATABASE_URL (a shared Postgres)' : null,
    !has.redis ? 'REDIS_URL (a shared Redis)' : null,
  ]
    .filter((m): m is string => m !== null)
    .join(' and ');
  return `Running on the fleet hands story runs to wave worker processes through a shared Postgres and Redis: set ${missing}, the same for the workers.`;
}
