import type {
  DeadLetterView,
  EventName,
  EventOf,
  InterruptedSession,
  MetricsView,
  SessionSummary,
  SessionView,
} from '../../../shared/ipc';
import { SETTLED_STORY_STATUSES } from '../../../shared/status';
import type { Store } from '../../store';
import { repositories } from '../../store/repos';
import { runsOnFleet, toInterruptedSession } from '../checkpointer';
import { relaySessionEvents, type ControlChannel } from '../control';
import type { EventBus } from '../events';
import {
  Orchestrator,
  OrchestratorError,
  requestSessionStop,
  toInterruptedView,
  type EventSink,
  type OrchestratorOptions,
  type StartSessionRequest,
} from '../orchestrator';
import { resumeFleetSession, startFleetSession, type FleetDeps, type FleetSession } from '../fleet/fleet-session';
import { GateLogFollower, readLogChunk } from '../orchestrator/gate-log';
import { storyDiff } from '../review/story-diff';
import { contextTokenSeries, EMPTY_METRICS, eventSeries, sessionUsageMetrics } from '../metrics/session-metrics';
import { queueReviewComments, requestChanges, reviewApprovalComment, reviewThread } from '../review/review-feedback';
import type { EventHub } from '../rpc';
import { AppError } from '../rpc';
import type { SettingsStore } from '../settings/settings-store';
import type { WaveSettings } from '../settings/wave-settings';
import type { DomainHandlers, SnapshotParts } from './types';
import { toContextPackView } from '../context/forecast';

export interface SessionServiceDeps {
  store: Store;
  bus: EventBus;
  /** The control channel: STOP of a session another process drives, and the live events of those sessions. */
  control?: ControlChannel | null;
  hub: EventHub;
  settings: SettingsStore;
  /** Data dir, Redis, actor and the environment agents are granted from. */
  wave: WaveSettings;
  log: (line: string) => void;
  /** Orchestrator tuning (tests: agent environment, short timeouts). */
  orchestrator?: OrchestratorOptions;
}

export type SessionDomainHandlers = DomainHandlers<'session'> &
  DomainHandlers<'story'> &
  DomainHandlers<'recovery'> &
  DomainHandlers<'events'> &
  DomainHandlers<'metrics'> &
  DomainHandlers<'gate'>;

export interface SessionServices {
  handlers: SessionDomainHandlers;
  snapshot(): Promise<Pick<SnapshotParts, 'session' | 'sessions' | 'interrupted'>>;
  /** The orchestrator behind the handlers (the CLI and tests drive it directly). */
  orchestrator: Orchestrator;
  close(): Promise<void>;
}

function toAppError(e: unknown): never {
  if (e instanceof OrchestratorError) throw new AppError(e.code, e.message);
  throw e;
}

/**
 * The session.*, recovery.*, events.deadLetters, metrics.get and gate.* requests over the
 * store and one Orchestrator, and the session part of the app snapshot. UI pushes
 * (session.changed, story.changed, stop.progress, notice, metrics.tick, gate.logAppended,
 * recovery.changed) go to the hub.
 */
export async function createSessionServices(deps: SessionServiceDeps): Promise<SessionServices> {
  let recoveryTimer: NodeJS.Timeout | null = null;
  let closed = false;
  const sink: EventSink = {
    publish<E extends EventName>(name: E, payload: EventOf<E>) {
      const envelope = deps.hub.publish(name, payload);
      // A session that stops, pauses, fails or resumes changes what can be recovered.
      if (name === 'session.changed') scheduleRecoveryRefresh();
      return envelope;
    },
  };
  const repos = repositories(deps.store);
  /** Fleet sessions coordinated here (started with session.start's fleet), closed with these services. */
  const fleetSessions = new Map<string, FleetSession>();
  const orchestrator = new Orchestrator({
    store: deps.store,
    bus: deps.bus,
    hub: sink,
    control: deps.control ?? null,
    dataDir: deps.wave.dataDir,
    env: deps.wave.env,
    log: deps.log,
    options: deps.orchestrator,
  });
  const views = orchestrator.views;
  const live = (id: string) => orchestrator.liveFacts(id);
  const progress = (id: string) => orchestrator.progressOf(id);
  const follower = new GateLogFollower((gateRunId, offset, text) =>
    deps.hub.publish('gate.logAppended', { gateRunId, offset, text }),
  );

  async function interrupted(): Promise<InterruptedSession[]> {
    // A fleet session coordinated here holds no session lease, yet it is not interrupted.
    const here = (id: string) => orchestrator.isRunning(id) || fleetSessions.has(id);
    const crashed = (await orchestrator.findInterrupted()).filter((i) => !here(i.sessionId));
    const seen = new Set(crashed.map((c) => c.sessionId));
    // Stopped and paused sessions can be continued as well; the crash finding does not list them.
    const halted = (await repos.sessions.withStatus(['stopped', 'paused'], 50)).filter(
      (s) => !seen.has(s.id) && !here(s.id),
    );
    const runs = await repos.storyRuns.ofSessionsExcept(
      halted.map((s) => s.id),
      SETTLED_STORY_STATUSES,
    );
    const names = await views.projectNames([...crashed.map((c) => c.projectId), ...halted.map((s) => s.projectId)]);
    const out = crashed.map((c) => toInterruptedView(c, names.get(c.projectId) ?? c.projectId));
    for (const s of halted)
      out.push(
        toInterruptedView(
          toInterruptedSession(s, runs, s.stopReason ?? s.status, s.endedAt),
          names.get(s.projectId) ?? s.projectId,
        ),
      );
    return out;
  }

  function scheduleRecoveryRefresh(): void {
    if (closed || recoveryTimer) return;
    recoveryTimer = setTimeout(() => {
      recoveryTimer = null;
      interrupted()
        .then((list) => {
          if (!closed) deps.hub.publish('recovery.changed', { interrupted: list });
        })
        .catch((e) => deps.log(`could not refresh the recovery list: ${(e as Error).message}`));
    }, 250);
    recoveryTimer.unref();
  }

  async function summary(sessionId: string): Promise<SessionSummary> {
    const row = await repos.sessions.byId(sessionId);
    if (!row) throw new AppError('not_found', `Session ${sessionId} does not exist.`);
    return (await views.summaries([row], live))[0]!;
  }

  async function currentSessionId(): Promise<string | null> {
    const running = orchestrator.runningSessionIds();
    if (running.length) return running[0]!;
    return repos.sessions.latestId();
  }

  async function metrics(sessionId: string | null): Promise<MetricsView> {
    const live = deps.bus.latencySnapshot();
    const events = eventSeries(await repos.latency.recent('*', 300), [
      ...live.series,
      ...(live.open ? [live.open] : []),
    ]);
    if (!sessionId) return { ...EMPTY_METRICS, ...events };
    const [rows, gates, packs] = await Promise.all([
      repos.usage.ofSession(sessionId),
      repos.gateRuns.durationsOf(sessionId),
      repos.contextPacks.ofSession(sessionId),
    ]);
    return { ...events, ...sessionUsageMetrics(rows, gates), contextTokens: contextTokenSeries(packs) };
  }

  /**
   * A session on the fleet: created here, its coordinator runs in the background until the
   * session ends or these services close; how it ended (or failed) is logged.
   */
  async function startOnFleet(req: StartSessionRequest): Promise<string> {
    return coordinateHere((fleetDeps) => startFleetSession(fleetDeps, req));
  }

  /** A fleet session continued with this process as its coordinator (Resume in the window). */
  async function resumeOnFleet(sessionId: string, budgetUsd: number | null | undefined): Promise<string> {
    if (fleetSessions.has(sessionId))
      throw new AppError('conflict', `Session ${sessionId} is coordinated here already.`);
    return coordinateHere((fleetDeps) =>
      resumeFleetSession(fleetDeps, sessionId, {
        actor: deps.wave.actor,
        ...(budgetUsd !== undefined ? { budgetUsd } : {}),
      }),
    );
  }

  async function coordinateHere(open: (fleetDeps: FleetDeps) => Promise<FleetSession>): Promise<string> {
    if (closed) throw new AppError('conflict', 'WAVE is shutting down; no session can start now.');
    const fleet = await open({
      orchestrator,
      store: deps.store,
      bus: deps.bus,
      settings: deps.wave,
      log: deps.log,
    }).catch(toAppError);
    fleetSessions.set(fleet.sessionId, fleet);
    fleet.done
      .then(
        (end) => end && deps.log(`fleet session ${fleet.sessionId} ${end.status}: ${end.reason}`),
        (e: unknown) => deps.log(`the fleet coordinator of session ${fleet.sessionId} failed: ${(e as Error).message}`),
      )
      .finally(() => fleetSessions.delete(fleet.sessionId));
    return fleet.sessionId;
  }

  async function gateRun(gateRunId: number) {
    const row = await repos.gateRuns.logOf(gateRunId);
    if (!row) throw new AppError('not_found', `Gate run ${gateRunId} does not exist.`);
    return row;
  }

  const handlers: SessionDomainHandlers = {
    'session.list': () => views.listSummaries(live),
    'session.get': async (req): Promise<SessionView> => {
      const view = await views.sessionView(req.sessionId, live(req.sessionId), progress);
      if (!view) throw new AppError('not_found', `Session ${req.sessionId} does not exist.`);
      return view;
    },
    'session.start': async (req) => {
      const s = await deps.settings.read();
      // Without a project in Settings the session runs on the project the PRD was imported
      // into (as `wave run` does); with one, the orchestrator refuses a PRD of another project.
      const start = {
        prdId: req.prdId,
        budgetUsd: req.budgetUsd ?? s.budgetUsd,
        concurrency: req.concurrency ?? s.concurrency,
        agentPreset: s.agentPreset ?? undefined,
        actor: deps.wave.actor,
        projectPath: s.projectPath ?? undefined,
      };
      if (req.fleet) return summary(await startOnFleet(start));
      const handle = await orchestrator.startSession(start).catch(toAppError);
      return summary(handle.sessionId);
    },
    'session.stop': async (req) => {
      const by = deps.wave.actor;
      const reason = req.reason?.trim() || 'STOP pressed';
      const mine = req.sessionId
        ? orchestrator.isRunning(req.sessionId)
          ? [req.sessionId]
          : []
        : orchestrator.runningSessionIds();
      if (mine.length > 0) {
        const reports = await orchestrator.stop(req.sessionId, { reason, by });
        return {
          sessionId: reports.map((r) => r.sessionId).join(','),
          stoppedAgents: reports.reduce((n, r) => n + r.stoppedAgents, 0),
          aliveAfter: reports.reduce((n, r) => n + r.aliveAfter, 0),
        };
      }
      if (!req.sessionId)
        throw new AppError('precondition_failed', 'No session is running here, so nothing was stopped.');
      // Driven by another process (wave run in a terminal): reach it through the store, Redis and the data dir.
      const r = await requestSessionStop({
        store: deps.store,
        dataDir: deps.wave.dataDir,
        sessionId: req.sessionId,
        reason,
        by,
        redisUrl: deps.wave.redisUrl,
        redisPrefix: deps.wave.redisPrefix,
        channel: deps.control,
        log: deps.log,
      }).catch(toAppError);
      // A session without a live owner (a fleet session, a crashed run) was closed here: no
      // owner pushes its end, so this window shows it now.
      if (r.handledBy !== 'owner')
        await summary(r.sessionId)
          .then(async (sum) => {
            sink.publish('session.changed', sum);
            await pushStories(r.sessionId);
          })
          .catch((e: unknown) => deps.log(`could not show the stopped session: ${(e as Error).message}`));
      return {
        sessionId: r.sessionId,
        stoppedAgents: r.stoppedAgents,
        aliveAfter: r.aliveAfter,
        ...(r.fleet ? { fleet: r.fleet } : {}),
      };
    },
    'session.resume': async (req) => {
      const row = await repos.sessions.byId(req.sessionId);
      if (!row) throw new AppError('not_found', `Session ${req.sessionId} does not exist.`);
      const s = await deps.settings.read();
      // A session paused by its budget continues with the budget now in Settings, if that is larger.
      const raise =
        row.status === 'paused' &&
        row.budgetUsd !== null &&
        (s.budgetUsd === null || s.budgetUsd > Number(row.budgetUsd));
      // A fleet session continues on the fleet, coordinated from here; never in this process.
      if (runsOnFleet(row.config)) return summary(await resumeOnFleet(req.sessionId, raise ? s.budgetUsd : undefined));
      const handle = await orchestrator
        .resume(req.sessionId, {
          strategy: req.strategy,
          gate: req.gate,
          actor: deps.wave.actor,
          ...(raise ? { budgetUsd: s.budgetUsd } : {}),
        })
        .catch(toAppError);
      return summary(handle.sessionId);
    },
    'story.overrideDomain': async (req) => {
      const { handle } = await orchestrator
        .overrideDomain(req.sessionId, req.storyId, { reason: req.reason, actor: deps.wave.actor })
        .catch(toAppError);
      return summary(handle.sessionId);
    },
    'story.approveMerge': async (req) => {
      const { handle } = await orchestrator
        .approveMerge(req.sessionId, req.storyId, {
          actor: deps.wave.actor,
          headSha: req.headSha,
          ...(req.comment ? { comment: req.comment } : {}),
        })
        .catch(toAppError);
      return summary(handle.sessionId);
    },
    'story.diff': (req) => storyDiff(deps.store, req).catch(toAppError),
    'story.review': async (req) => {
      const actor = deps.wave.actor;
      if (req.verdict === 'approve') {
        const comment = reviewApprovalComment(req.summary, req.comments);
        const { handle } = await orchestrator
          .approveMerge(req.sessionId, req.storyId, { actor, headSha: req.headSha, ...(comment ? { comment } : {}) })
          .catch(toAppError);
        return summary(handle.sessionId);
      }
      await requestChanges(deps.store, {
        sessionId: req.sessionId,
        storyId: req.storyId,
        actor,
        comments: req.comments,
        headSha: req.headSha,
        ...(req.summary ? { summary: req.summary } : {}),
      }).catch(toAppError);
      const handle = await orchestrator
        .resume(req.sessionId, {
          strategy: 'resume_from_last',
          perStory: { [req.storyId]: { strategy: 'resume_from_gate', gate: 'gate-2' } },
          actor,
        })
        .catch((e: unknown) => {
          const message = `The request for changes is recorded and applies when the session resumes, but it could not be resumed now: ${(e as Error).message}`;
          throw e instanceof OrchestratorError ? new AppError(e.code, message) : new Error(message, { cause: e });
        });
      return summary(handle.sessionId);
    },
    'story.comment': (req) =>
      queueReviewComments(deps.store, {
        sessionId: req.sessionId,
        storyId: req.storyId,
        actor: deps.wave.actor,
        comments: req.comments,
        ...(req.headSha ? { headSha: req.headSha } : {}),
      }).catch(toAppError),
    'story.context': async (req) =>
      (await repos.contextPacks.ofSession(req.sessionId, req.storyId)).map(toContextPackView),
    'story.reviewThread': (req) => reviewThread(deps.store, req.sessionId, req.storyId).catch(toAppError),
    'recovery.list': () => interrupted(),
    'events.deadLetters': async (req): Promise<DeadLetterView[]> =>
      (await deps.bus.listDeadLetters({ limit: req.limit ?? 100 })).map((d) => ({
        id: d.id,
        sessionId: d.session,
        eventId: d.eventId,
        type: d.eventType,
        reason: d.reason,
        deliveries: d.deliveries,
        at: d.at,
      })),
    'metrics.get': async (req) => metrics(req.sessionId ?? (await currentSessionId())),
    'gate.log': async (req) => {
      const run = await gateRun(req.gateRunId);
      const chunk = readLogChunk(run.logPath, req.offset, req.maxBytes);
      return { ...chunk, running: run.status === 'running' };
    },
    // Follows belong to the client that asked: its unfollow, or its window or socket closing,
    // releases its own follow only; the log stays watched while another client follows it.
    'gate.follow': async (req, ctx) => {
      const key = `gate.follow:${req.gateRunId}`;
      if (!req.follow) {
        ctx.client.delete(key);
        return { following: false };
      }
      const run = await gateRun(req.gateRunId);
      if (!run.logPath) throw new AppError('not_found', `Gate run ${req.gateRunId} has no log file.`);
      if (!ctx.client.has(key)) ctx.client.set(key, follower.follow(req.gateRunId, run.logPath));
      return { following: true };
    },
  };

  /** What a window shows of sessions other processes drive, re-read from the store after the channel missed something. */
  async function resyncRemote(): Promise<void> {
    const remote = (await views.listSummaries(live, 20)).filter((s) => !orchestrator.isRunning(s.id));
    // Oldest first, so the newest session takes the board as it does when it starts live.
    for (const s of [...remote].reverse()) sink.publish('session.changed', s);
    if (remote[0]) await pushStories(remote[0].id);
  }

  async function pushStories(sessionId: string): Promise<void> {
    const view = await views.sessionView(sessionId, null, () => null);
    for (const story of view?.stories ?? []) sink.publish('story.changed', story);
  }

  // One live picture: sessions of other processes on this store show here as they run.
  const relay = deps.control
    ? await relaySessionEvents({
        channel: deps.control,
        sink,
        isLocal: (id) => orchestrator.isRunning(id),
        resync: resyncRemote,
        catchUp: pushStories,
        log: deps.log,
      }).catch((e: unknown) => {
        deps.log(`sessions of other processes show only after a reload: ${(e as Error).message}`);
        return null;
      })
    : null;

  return {
    handlers,
    orchestrator,
    async snapshot() {
      const [list, current, inter] = await Promise.all([views.listSummaries(live), currentSessionId(), interrupted()]);
      const session = current ? await views.sessionView(current, live(current), progress) : null;
      return { session, sessions: list, interrupted: inter };
    },
    async close() {
      closed = true;
      relay?.dispose();
      if (recoveryTimer) clearTimeout(recoveryTimer);
      follower.dispose();
      await Promise.all([...fleetSessions.values()].map((f) => f.close()));
      await orchestrator.dispose();
    },
  };
}
