import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ACTIVE_SESSION_STATUSES } from '../../../shared/status';
import type { Disposable } from '../../../shared/lifecycle';
import type { Store } from '../../store';
import { LeaseLostError, repositories, type HeldLease, type StoreRepos } from '../../store/repos';
import type { ControlChannel } from '../control';
import { countAliveAgents } from '../orchestrator/remote-stop';
import type { StopRequest } from '../orchestrator/run-state';
import { countAlive } from '../orchestrator/session-stop';
import { FLEET_QUEUE, FleetJob, fleetConnection, fleetQueuePrefix } from './dispatch';
import { openWorkerStory, type WorkerStory, type WorkerStoryDeps } from './worker-story';

export interface FleetWorkerOptions extends WorkerStoryDeps {
  name: string;
  concurrency: number;
  version: string;
  redisUrl: string;
  redisPrefix: string | undefined;
  /** A story run's lease (and BullMQ's job lock): default 15 s. */
  leaseMs: number;
  /** Heartbeat and lease renewal interval: default a third of the lease. */
  heartbeatMs: number;
  /** The store's control channel: STOP requests arrive on it at once and the worker answers there. */
  channel: ControlChannel | null;
}

/** What a worker did for a session's STOP. */
interface SessionStopCounts {
  stoppedAgents: number;
  aliveAfter: number;
}

/** How many sessions' stop counts a worker remembers (a late or repeated STOP is answered from them). */
const REMEMBERED_STOPS = 50;

interface Active {
  lease: HeldLease;
  story: WorkerStory | null;
  sessionId: string;
  lost: boolean;
  /** Settles when the job ended (the story recorded where it stopped, or was dropped). */
  done: Promise<void>;
}

/**
 * A `wave worker`: registers in fleet_workers, heartbeats, and takes story runs from the
 * store's BullMQ queue. BullMQ's job lock (lockDuration = the lease, renewed by BullMQ) and
 * its stalled-job check give a killed worker's jobs to another worker; the Postgres lease
 * (story_run_leases, renewed with the heartbeat) is what decides who may write: each story
 * runs with a fenced checkpointer and story run port (worker-story.ts), and a worker that
 * finds its lease gone stops that story's agents and drops it.
 */
export class FleetWorker {
  readonly id = `w-${randomUUID().slice(0, 12)}`;
  private readonly repos: StoreRepos;
  private readonly active = new Map<string, Active>();
  private readonly stops = new Map<string, StopRequest>();
  /** Each stopped session's counts, from its first STOP (control channel or heartbeat). */
  private readonly stopped = new Map<string, Promise<SessionStopCounts>>();
  private control: Disposable | null = null;
  private worker: Worker | null = null;
  private connection: Redis | null = null;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private beat: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly o: FleetWorkerOptions,
    store: Store = o.store,
  ) {
    this.repos = repositories(store);
  }

  async start(): Promise<void> {
    await this.repos.fleetWorkers.register({
      id: this.id,
      name: this.o.name,
      host: os.hostname(),
      pid: process.pid,
      version: this.o.version,
      concurrency: this.o.concurrency,
      workDir: this.o.workDir,
    });
    this.connection = fleetConnection(this.o.redisUrl);
    this.worker = new Worker(FLEET_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: fleetQueuePrefix(this.o.redisPrefix),
      concurrency: this.o.concurrency,
      lockDuration: this.o.leaseMs,
      stalledInterval: Math.max(1_000, Math.round(this.o.leaseMs / 2)),
      maxStalledCount: 1_000,
    });
    this.worker.on('error', (e) => this.o.log(`queue: ${e.message}`));
    await this.listen();
    this.timer = setInterval(() => void this.beatNow(), this.o.heartbeatMs);
    this.timer.unref();
    await this.beatNow();
  }

  /** Story runs this worker runs now. */
  runningStoryRuns(): string[] {
    return [...this.active.keys()];
  }

  /** Hears STOP requests on the control channel: a session whose story runs this worker holds is stopped at once. */
  private async listen(): Promise<void> {
    if (!this.o.channel) return;
    const channel = this.o.channel;
    try {
      this.control = await channel.subscribe((env, transport) => {
        const m = env.message;
        if (m.kind === 'fleet-drain' && (m.worker === this.id || m.worker === this.o.name)) {
          // The row already says so: the heartbeat applies it and reports it at once.
          void this.beatNow();
          return;
        }
        if (m.kind !== 'stop') return;
        const holds = [...this.active.values()].some((a) => a.sessionId === m.sessionId);
        if (!holds && !this.stopped.has(m.sessionId)) return;
        this.o.log(`stop of session ${m.sessionId} by ${m.by} heard on the control channel (${transport})`);
        void this.stopSession(m.sessionId, { reason: m.reason, by: m.by })
          .then((c) =>
            channel.publish({
              kind: 'fleet-stopped',
              sessionId: m.sessionId,
              workerId: this.id,
              name: this.o.name,
              host: os.hostname(),
              pid: process.pid,
              ...c,
            }),
          )
          .catch((e: unknown) => this.o.log(`could not answer the stop of ${m.sessionId}: ${(e as Error).message}`));
      });
    } catch (e) {
      this.o.log(`cannot hear stops on the control channel (${(e as Error).message}); the heartbeat still finds them`);
    }
  }

  /**
   * Stops the session's story runs here: their pipelines see the stop (no new gate), their agent
   * process groups are terminated (SIGTERM, SIGKILL after the grace), each story gets up to the
   * grace to record where it stopped, and the session's recorded agent processes on this machine
   * are counted by a /proc scan. The first call does it; later ones recount the living.
   */
  private stopSession(sessionId: string, req: StopRequest): Promise<SessionStopCounts> {
    let first = this.stopped.get(sessionId);
    if (!first) {
      if (!this.stops.has(sessionId)) this.stops.set(sessionId, req);
      first = (async () => {
        const mine = [...this.active.values()].filter((a) => a.sessionId === sessionId);
        const counts = await Promise.all(mine.map((a) => a.story?.stopAgents().catch(() => 0) ?? 0));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(mine.map((a) => a.done)),
          new Promise<void>((r) => (timer = setTimeout(r, this.o.options.graceMs))),
        ]);
        clearTimeout(timer);
        const stoppedAgents = counts.reduce((n, c) => n + c, 0);
        const aliveAfter = countAliveAgents(this.o.dataDir, sessionId);
        this.o.log(`stopped session ${sessionId}: ${stoppedAgents} agent group(s) stopped, ${aliveAfter} alive after`);
        return { stoppedAgents, aliveAfter };
      })();
      this.stopped.set(sessionId, first);
      if (this.stopped.size > REMEMBERED_STOPS) this.stopped.delete(this.stopped.keys().next().value!);
      return first;
    }
    return first.then((c) => ({ ...c, aliveAfter: countAliveAgents(this.o.dataDir, sessionId) }));
  }

  private async process(job: Job): Promise<void> {
    const data = FleetJob.parse(job.data);
    // BullMQ handed back a job this worker still runs (its lock renewal came late on a busy
    // machine and the stalled check put the job back): the run goes on, and this delivery ends
    // with it. Taking it again would fence the running copy with a new lease token.
    const mine = this.active.get(data.storyRunId);
    if (mine && !mine.lost) {
      this.o.log(`${data.storyRunId} came back from the queue while I run it; it goes on`);
      return mine.done;
    }
    const session = await this.repos.sessions.byId(data.sessionId);
    const run = await this.repos.storyRuns.byId(data.storyRunId);
    if (!session || !run || !(ACTIVE_SESSION_STATUSES as readonly string[]).includes(session.status)) return;
    if (session.status === 'stopping' || this.stops.has(session.id)) return;
    // Fetched just before the drain paused the queue: BullMQ gives it to another worker.
    if (this.draining) throw new Error(`worker ${this.o.name} is draining`);
    const lease = await this.repos.storyRunLeases.acquire(run.id, this.id, this.o.leaseMs);
    // Another worker holds it (a reclaim raced its lease's expiry): BullMQ retries the job later.
    if (!lease) throw new Error(`story run ${run.id} is leased by another worker`);
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const a: Active = { lease, story: null, sessionId: session.id, lost: false, done };
    this.active.set(run.id, a);
    this.stopped.delete(session.id); // The session runs again: a later STOP is a new one.
    this.o.log(`took ${run.id} (lease token ${lease.token})`);
    try {
      a.story = await openWorkerStory(this.o, session, run, lease, () => this.stops.get(session.id) ?? null);
      if (a.lost) throw new LeaseLostError(run.id, lease.token, 'it was lost while the story was prepared');
      await a.story?.execute();
      this.o.log(`finished ${run.id}`);
    } catch (e) {
      if (!(e instanceof LeaseLostError)) throw e;
      a.lost = true;
      const stopped = (await a.story?.stopAgents().catch(() => 0)) ?? 0;
      this.o.log(`lost the lease of ${run.id}: stopped ${stopped} agent group(s), dropped the story (${e.message})`);
    } finally {
      if (this.active.get(run.id) === a) this.active.delete(run.id);
      if (![...this.active.values()].some((o) => o.sessionId === session.id)) this.stops.delete(session.id);
      if (!a.lost) await this.repos.storyRunLeases.release(lease).catch(() => undefined);
      await a.story?.dispose().catch(() => undefined);
      ended();
      void this.beatNow(); // The fleet view shows the run gone now, not a heartbeat later.
    }
  }

  private agentsAlive(): number {
    let n = 0;
    for (const a of this.active.values()) if (a.story) n += countAlive(a.story.executor, a.sessionId).processes;
    return n;
  }

  /** A heartbeat now, after the one under way (the timer's and a drain request's never overlap). */
  private beatNow(): Promise<void> {
    this.beat = this.beat.then(() => this.heartbeat());
    return this.beat;
  }

  private stats() {
    return {
      cpu: Math.round((os.loadavg()[0]! / Math.max(1, os.cpus().length)) * 100) / 100,
      memoryBytes: process.memoryUsage().rss,
      agentsAlive: this.agentsAlive(),
      storyRuns: this.runningStoryRuns(),
      draining: this.draining,
      heartbeatMs: this.o.heartbeatMs,
    };
  }

  /** Heartbeat: the worker's row and stats, each lease renewed, stops and drain requests picked up. */
  private async heartbeat(): Promise<void> {
    try {
      for (const [id, a] of this.active) {
        if (a.lost) continue;
        if (!(await this.repos.storyRunLeases.renew(a.lease, this.o.leaseMs))) {
          a.lost = true;
          const stopped = (await a.story?.stopAgents().catch(() => 0)) ?? 0;
          this.o.log(`the lease of ${id} is gone: stopped ${stopped} agent group(s); its writes are refused`);
        }
      }
      for (const sessionId of new Set([...this.active.values()].map((a) => a.sessionId))) {
        const status = await this.repos.sessions.statusOf(sessionId);
        if (status && status !== 'running' && !this.stops.has(sessionId))
          void this.stopSession(sessionId, { reason: `session ${status}`, by: 'fleet' });
      }
      const row = await this.repos.fleetWorkers.heartbeat(this.id, this.stats());
      if (row && row.draining !== this.draining) {
        this.draining = row.draining;
        if (row.draining) await this.worker?.pause(true);
        else this.worker?.resume();
        this.o.log(row.draining ? 'draining: finishing my story runs, taking none' : 'taking story runs again');
        // What `wave workers` shows: the change is confirmed at once, not at the next heartbeat.
        await this.repos.fleetWorkers.heartbeat(this.id, this.stats());
      }
      await this.o.channel
        ?.publish({ kind: 'fleet-worker', workerId: this.id, name: this.o.name, draining: this.draining })
        .catch(() => undefined);
    } catch (e) {
      this.o.log(`heartbeat failed: ${(e as Error).message}`);
    }
  }

  /** Stops taking jobs, lets the running story runs finish, then leaves the fleet. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker?.close();
      this.control?.dispose();
      if (this.timer) clearInterval(this.timer);
      this.connection?.disconnect();
      await this.repos.fleetWorkers.markStopped(this.id).catch(() => undefined);
      // Windows re-read the fleet: this worker is gone from it.
      await this.o.channel
        ?.publish({ kind: 'fleet-worker', workerId: this.id, name: this.o.name, draining: this.draining })
        .catch(() => undefined);
    })();
    return this.closing;
  }
}
