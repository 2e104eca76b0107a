import os from 'node:os';
import { join } from 'node:path';
import type { FleetStopReport } from '../../../shared/ipc/fleet';
import { ACTIVE_SESSION_STATUSES, FINAL_SESSION_STATUSES as FINAL } from '../../../shared/status';
import type { SessionStatus, Store } from '../../store';
import { pidAlive } from '../../store/dir-lock';
import type { ControlChannel } from '../control';
import { ProcessGroups } from '../executor/process-groups';
import { ControlFiles } from './control-files';
import { fleetAnswers, FLEET_STOP_GRACE_MS, withFleet, type Holder } from './fleet-stop-answers';
import { OrchestratorError } from './errors';

export interface RemoteStopOptions {
  /** The store, or null when it cannot be opened here (the embedded store is held by the session's process). */
  store: Store | null;
  /** The WAVE data dir the session's process uses (control files, process-group records). */
  dataDir: string;
  sessionId: string;
  reason: string;
  by: string;
  /** The control channel: the request reaches the owner at once and its answer comes back on it (else the owner finds the durable mark on its next poll). */
  channel?: ControlChannel | null;
  /** Publishes emergency_stop on the session's system stream too, so every process of the session hears it. */
  redisUrl?: string;
  redisPrefix?: string;
  /** How long to wait for the owner to report the stop (default 30 s). */
  timeoutMs?: number;
  /** How long fleet workers holding story runs of the session have to answer (default 10 s). */
  fleetGraceMs?: number;
  graceMs?: number;
  leaseMs?: number;
  log?: (line: string) => void;
}

export interface RemoteStopResult {
  sessionId: string;
  stoppedAgents: number;
  aliveAfter: number;
  /** owner: the process running the session stopped it; here: its owner was gone, this process cleaned up; none: it was not running. */
  handledBy: 'owner' | 'here' | 'none';
  status: SessionStatus | 'unknown';
  message: string;
  /** A fleet session: what each host's workers stopped (their counts are in the totals above). */
  fleet?: FleetStopReport;
}

/** Processes of the session's recorded agent groups alive now on this machine (a /proc scan). */
export function countAliveAgents(dataDir: string, sessionId: string): number {
  const groups = new ProcessGroups({ stateDir: join(dataDir, 'process-groups') });
  let n = 0;
  for (const list of groups.members(groups.forSession(sessionId)).values()) n += list.length;
  return n;
}

/**
 * Waits for the owner's `stopped` answer on the control channel, or `ms`, whichever comes first.
 * Subscribed before the request is sent, so the answer cannot slip past.
 */
async function answerWaiter(channel: ControlChannel | null | undefined, sessionId: string, log: (l: string) => void) {
  let wake: (() => void) | null = null;
  let answered = false;
  const sub = channel
    ? await channel
        .subscribe((env) => {
          if (env.message.kind === 'stopped' && env.message.sessionId === sessionId) {
            answered = true;
            wake?.();
          }
        })
        .catch((e: unknown) => {
          log(`cannot listen on the control channel (${(e as Error).message}); waiting on the store`);
          return null;
        })
    : null;
  return {
    wait: (ms: number) => {
      if (answered) {
        answered = false; // Once: the store decides whether the stop is over.
        return Promise.resolve();
      }
      return new Promise<void>((r) => {
        const t = setTimeout(r, ms);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    },
    dispose: () => sub?.dispose(),
  };
}

/**
 * Emergency stop of a session driven by another process (`wave stop`, or the UI of a
 * process that does not own it). Durable first: the session is marked `stopping` in the
 * store (when it can be opened here); then the owner is reached at once on the control channel
 * (local socket, Redis pub/sub, Postgres NOTIFY), through the Redis event bus (when set) and a
 * control file; the owner stops its agents, checkpoints its stories and answers on the channel
 * (the store and the control file are read every 200 ms as well, should the answer be missed).
 * If the owner is gone, its leftover agents are stopped here and the session is closed.
 */
export async function requestSessionStop(opts: RemoteStopOptions): Promise<RemoteStopResult> {
  const log = opts.log ?? (() => {});
  const control = new ControlFiles(opts.dataDir);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const host = os.hostname();
  const { sessionId, reason, by } = opts;

  let ownerAlive: boolean;
  let ownerHere: boolean;
  let statusBefore: SessionStatus | 'unknown' = 'unknown';
  let holders: Holder[] = [];
  // The store's modules only when there is a store: `wave stop` next to a session holding the
  // embedded store starts without loading them (a stop is measured from the command's start).
  const repos = opts.store ? (await import('../../store/repos')).repositories(opts.store) : null;
  if (repos) {
    const row = await repos.sessions.withHeartbeat(sessionId);
    if (!row)
      throw new OrchestratorError(
        'not_found',
        `Session ${sessionId} does not exist. List the sessions with: wave status`,
      );
    statusBefore = row.s.status;
    const { judgeOwner } = await import('../checkpointer/session-lease');
    ownerAlive = judgeOwner(
      { ownerPid: row.s.ownerPid, ownerHost: row.s.ownerHost, heartbeatAgeMs: row.heartbeatAgeMs },
      { leaseMs: opts.leaseMs },
    ).alive;
    ownerHere = row.s.ownerHost === null || row.s.ownerHost === host;
    // Fleet workers running story runs of it (`wave run --fleet`) are told too, and answer.
    holders = await repos.storyRunLeases.holdersOf(sessionId);
    if (FINAL.includes(row.s.status) && !ownerAlive && holders.length === 0) {
      const alive = countAliveAgents(opts.dataDir, sessionId);
      if (alive === 0)
        return {
          sessionId,
          stoppedAgents: 0,
          aliveAfter: 0,
          handledBy: 'none',
          status: row.s.status,
          message: `Session ${sessionId} is not running (it is ${row.s.status}); nothing to stop.`,
        };
    } else {
      // Durable first: whoever owns the session sees `stopping` on its next check.
      await repos.sessions.markStopping(sessionId, `Stopping: ${reason}`, ACTIVE_SESSION_STATUSES);
    }
  } else {
    const reg = control.registrations().find((r) => r.sessionId === sessionId);
    if (!reg) {
      throw new OrchestratorError(
        'not_found',
        `No running session ${sessionId} is registered in ${opts.dataDir}, and the database there is held by another process. Check the id with: wave status`,
      );
    }
    ownerHere = reg.host === host;
    ownerAlive = !ownerHere || pidAlive(reg.pid);
  }

  if (opts.redisUrl) {
    try {
      const { publishRemote } = await import('../events/remote-publish');
      await publishRemote(
        { redisUrl: opts.redisUrl, keyPrefix: opts.redisPrefix, source: `cli:${host}` },
        { type: 'emergency_stop', session: sessionId, reason, by, host, pid: process.pid },
      );
    } catch (e) {
      log(
        `could not publish emergency_stop through Redis (${(e as Error).message}); the store and the control file still carry the request`,
      );
    }
  }

  const fleet =
    holders.length && opts.channel
      ? await fleetAnswers(opts.channel, sessionId, holders).catch((e: unknown) => {
          log(
            `cannot hear the fleet workers' answers (${(e as Error).message}); they still find the stop at their heartbeat`,
          );
          return null;
        })
      : null;
  const fleetReport = () => fleet?.collect(opts.fleetGraceMs ?? FLEET_STOP_GRACE_MS) ?? Promise.resolve(null);
  const sendStop = async () => {
    if (opts.channel)
      await opts.channel
        .publish({ kind: 'stop', sessionId, reason, by })
        .catch((e: unknown) =>
          log(
            `could not send the stop on the control channel (${(e as Error).message}); the store and the control file still carry it`,
          ),
        );
  };
  try {
    if (ownerAlive) {
      const answer = await answerWaiter(opts.channel, sessionId, log);
      try {
        await sendStop();
        const [owner, workers] = await Promise.all([awaitOwner(answer.wait), fleetReport()]);
        return withFleet(owner, workers);
      } finally {
        answer.dispose();
      }
    }
    if (!fleet) return await stopOwnerless(null);
    // The workers stop their agents and record where their stories stopped; then the session is closed here.
    await sendStop();
    const workers = await fleetReport();
    return withFleet(await stopOwnerless(workers), workers);
  } finally {
    fleet?.dispose();
  }

  async function awaitOwner(wait: (ms: number) => Promise<void>): Promise<RemoteStopResult> {
    control.requestStop(sessionId, { reason, by, at: new Date().toISOString() });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fileResult = control.readStopResult(sessionId);
      let status: SessionStatus | 'unknown' = 'unknown';
      if (repos) status = (await repos.sessions.statusOf(sessionId)) ?? 'unknown';
      const finished = opts.store ? status !== 'unknown' && FINAL.includes(status) : fileResult !== null;
      if (finished) {
        let stoppedAgents = fileResult?.stoppedAgents ?? 0;
        let aliveAfter = fileResult?.aliveAfter ?? 0;
        if (!fileResult && repos) {
          const entry = await repos.audit.latestAbout('session', sessionId, 'session.emergency_stop');
          const d = (entry?.detail ?? {}) as { stoppedAgents?: number; aliveAfter?: number };
          stoppedAgents = d.stoppedAgents ?? 0;
          aliveAfter = d.aliveAfter ?? 0;
        }
        if (ownerHere) aliveAfter = Math.max(aliveAfter, countAliveAgents(opts.dataDir, sessionId));
        return {
          sessionId,
          stoppedAgents,
          aliveAfter,
          handledBy: 'owner',
          status: opts.store ? status : 'stopped',
          message: `Session ${sessionId} stopped by its process: ${stoppedAgents} agent group(s) stopped, ${aliveAfter} process(es) alive after.`,
        };
      }
      if (Date.now() > deadline) {
        throw new OrchestratorError(
          'conflict',
          `The process running session ${sessionId} did not confirm the stop within ${Math.round(timeoutMs / 1000)} s. ` +
            `Its request stays recorded (status stopping); check that process, or kill it and run: wave resume ${sessionId}`,
        );
      }
      await wait(200);
    }
  }

  /** Nobody drives it: stop what the dead owner left and close the session here. */
  async function stopOwnerless(fleetStop: FleetStopReport | null): Promise<RemoteStopResult> {
    const groups = new ProcessGroups({ stateDir: join(opts.dataDir, 'process-groups') });
    const report = await groups.stopSession(sessionId, opts.graceMs ?? 2_000);
    if (repos) {
      await repos.transaction(async (tx) => {
        const runIds = (await tx.storyRuns.ofSession(sessionId)).map((r) => r.id);
        await tx.gateRuns.failRunning(runIds);
        await tx.storyRuns.stopRunning(sessionId, `Stopped: ${reason}`);
        if (!FINAL.includes(statusBefore as SessionStatus)) {
          await tx.sessions.closeOwnerless(sessionId, `Stopped by ${by}: ${reason} (its process was gone)`);
        }
        await tx.audit.append({
          actor: by,
          action: 'session.emergency_stop',
          subjectType: 'session',
          subjectId: sessionId,
          detail: {
            reason,
            by,
            stoppedAgents: report.stopped,
            aliveAfter: report.aliveAfter,
            ownerGone: true,
            host,
            ...(fleetStop ? { fleet: fleetStop } : {}),
          },
        });
      });
    }
    control.clearStop(sessionId);
    control.unregister(sessionId);
    const aliveAfter = countAliveAgents(opts.dataDir, sessionId);
    return {
      sessionId,
      stoppedAgents: report.stopped,
      aliveAfter,
      handledBy: 'here',
      status: opts.store ? 'stopped' : 'unknown',
      message: fleetStop
        ? `Session ${sessionId} stopped on the fleet${report.stopped ? ` (${report.stopped} agent group(s) stopped here, ${aliveAfter} process(es) alive after)` : ''}.`
        : `The process that ran session ${sessionId} is gone; ${report.stopped} leftover agent group(s) stopped here, ${aliveAfter} process(es) alive after.`,
    };
  }
}
