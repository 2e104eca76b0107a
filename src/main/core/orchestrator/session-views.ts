import {
  GATE_IDS,
  type GateAttemptView,
  type InterruptedSession as InterruptedView,
  type SessionSummary,
  type SessionView,
  type StoryRunView,
} from '../../../shared/ipc';
import type { GateRun, Session, StoryRun } from '../../store';
import type { Repos } from '../../store/repos';
import { storySubject } from './domain-override';
import { isAwaitingMergeApproval, MERGE_APPROVAL_REQUESTED } from './merge-approval';
import type { InterruptedSession } from '../checkpointer';
import { MAX_DECISION_TEXT_CHARS, MAX_OVERRIDE_PATHS } from '../../../shared/ipc/decision-rules';
import { isFinalStory } from '../../../shared/status';

/*
 * View models for the UI and the CLI, built from the store (the single source of truth),
 * plus what only the running process knows (live progress, the wave being run).
 */

export interface LiveSessionFacts {
  currentWave: number | null;
}

export interface StoryMeta {
  title: string;
  domain: string;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const money = (n: unknown) => Math.max(0, Math.round(Number(n ?? 0) * 1e6) / 1e6);

function isViewGate(g: string | null): g is (typeof GATE_IDS)[number] {
  return g !== null && (GATE_IDS as readonly string[]).includes(g);
}

export function toGateAttemptView(g: GateRun): GateAttemptView | null {
  if (!isViewGate(g.gate)) return null;
  const detail = (g.detail ?? {}) as Record<string, unknown>;
  const reason = typeof detail.reason === 'string' ? detail.reason.split('\n')[0]!.slice(0, 500) : null;
  return {
    gateRunId: g.id,
    gate: g.gate,
    attempt: Math.max(1, g.attempt),
    // A gate cut short by STOP is recorded as failed with detail.stopped; the screen must
    // not call it a failure of the story's work.
    status: g.status === 'failed' && detail.stopped === true ? 'stopped' : g.status,
    startedAt: g.startedAt.toISOString(),
    endedAt: iso(g.endedAt),
    durationMs: g.durationMs === null ? null : Math.max(0, g.durationMs),
    inputTokens: Math.max(0, g.inputTokens),
    outputTokens: Math.max(0, g.outputTokens),
    costUsd: money(g.costUsd),
    reason,
    ...domainFacts(detail),
    ...envFacts(g.gate, detail),
    ...subagentFacts(detail),
  };
}

/** The subagents an agent phase recorded (ports/subagents.ts). */
function subagentFacts(detail: Record<string, unknown>): Pick<GateAttemptView, 'subagents'> {
  if (!Array.isArray(detail.subagents)) return {};
  const subagents = (detail.subagents as Array<Record<string, unknown>>)
    .filter((x) => x && typeof x.agent === 'string')
    .slice(0, 20)
    .map((x) => ({
      agent: String(x.agent),
      task: typeof x.task === 'string' ? x.task.slice(0, 500) : '',
      status: typeof x.status === 'string' ? x.status : 'unknown',
      // Recorded since subagents are drawn on the timeline; older runs have none.
      ...(typeof x.startedAt === 'string' && !Number.isNaN(Date.parse(x.startedAt)) ? { startedAt: x.startedAt } : {}),
      durationMs: Math.max(0, Number(x.durationMs) || 0),
      costUsd: money(Number(x.costUsd) || 0),
    }));
  return subagents.length ? { subagents } : {};
}

/** Gates that start processes for a story: worktree setup, agent phases, QA and validation commands. */
const CHILD_GATES: ReadonlySet<string> = new Set(['gate-0', 'gate-1', 'gate-2', 'gate-4', 'gate-5', 'gate-6']);

/** The environment names a gate run recorded for its children (never values). */
function envFacts(gate: string, detail: Record<string, unknown>): Pick<GateAttemptView, 'env'> {
  const env = detail.env as { agent?: unknown; commands?: unknown } | undefined;
  if (!CHILD_GATES.has(gate) || !env || typeof env !== 'object') return {};
  return { env: { agent: strings(env.agent).slice(0, 200), commands: strings(env.commands).slice(0, 200) } };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** What a domain check recorded: overridable out-of-domain paths (none when paths escaped or work was uncommitted), or the override it passed with. */
function domainFacts(detail: Record<string, unknown>): Pick<GateAttemptView, 'outside' | 'override'> {
  const outside = strings(detail.outside);
  const o = detail.override as { by?: unknown; reason?: unknown; paths?: unknown } | undefined;
  return {
    ...(outside.length > 0 && strings(detail.escaped).length === 0 && strings(detail.uncommitted).length === 0
      ? { outside: outside.slice(0, MAX_OVERRIDE_PATHS) }
      : {}),
    ...(o && typeof o.by === 'string' && typeof o.reason === 'string'
      ? {
          override: {
            by: o.by,
            reason: o.reason.slice(0, MAX_DECISION_TEXT_CHARS),
            paths: strings(o.paths).slice(0, MAX_OVERRIDE_PATHS),
          },
        }
      : {}),
  };
}

export function toStoryRunView(
  run: StoryRun,
  meta: StoryMeta | undefined,
  gates: GateRun[],
  progress: StoryRunView['progress'],
  approvalSha?: string,
): StoryRunView {
  const listed = gates
    .filter((g) => g.epoch === run.epoch)
    .map(toGateAttemptView)
    .filter((g): g is GateAttemptView => g !== null);
  return {
    id: run.id,
    sessionId: run.sessionId,
    storyId: run.storyId,
    title: meta?.title ?? run.storyId,
    waveNumber: run.waveNumber,
    domain: meta?.domain ?? '',
    agent: run.agent,
    status: run.status,
    currentGate: isViewGate(run.currentGate) ? run.currentGate : null,
    // One figure everywhere (CLI, Waves board, story detail), from the attempts listed below.
    attempts: storyAttempts(listed),
    costUsd: money(run.costUsd),
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    reason: run.reason,
    mergeSha: run.mergeSha,
    branch: run.branch,
    ...(isAwaitingMergeApproval(run)
      ? { awaitingMergeApproval: true, ...(approvalSha ? { mergeApprovalSha: approvalSha } : {}) }
      : {}),
    progress,
    gates: listed,
  };
}

/** A story's attempts: the most any one of its gates took (2 = one retry, e.g. a QA fix). */
export function storyAttempts(gates: ReadonlyArray<Pick<GateAttemptView, 'attempt'>>): number {
  return gates.reduce((m, g) => Math.max(m, g.attempt), 0);
}

/** Projected total cost: spent so far plus the average of finished stories times those left. */
export function forecastCost(spent: number, runs: Array<Pick<StoryRun, 'status' | 'costUsd'>>): number | null {
  // Stories that ran to an end: a cancelled one says nothing about what a story typically costs.
  const finished = runs.filter((r) => isFinalStory(r.status) && r.status !== 'cancelled');
  if (finished.length === 0) return null;
  const avg = finished.reduce((s, r) => s + Number(r.costUsd ?? 0), 0) / finished.length;
  const left = runs.filter((r) => r.status === 'queued' || r.status === 'running' || r.status === 'stopped').length;
  return money(spent + avg * left);
}

function waveCount(config: Record<string, unknown>, runs: StoryRun[]): number {
  const waves = (config as { waves?: unknown }).waves;
  if (Array.isArray(waves)) return waves.length;
  return new Set(runs.map((r) => r.waveNumber)).size;
}

export function toSessionSummary(
  s: Session,
  projectName: string,
  runs: StoryRun[],
  spent: number,
  live: LiveSessionFacts | null,
): SessionSummary {
  const config = (s.config ?? {}) as Record<string, unknown>;
  const concurrency =
    typeof config.concurrency === 'number' && config.concurrency >= 1 ? Math.floor(config.concurrency) : 1;
  const running = runs.filter((r) => r.status === 'running').map((r) => r.waveNumber);
  return {
    id: s.id,
    projectId: s.projectId,
    projectName,
    prdId: s.prdId,
    status: s.status,
    budgetUsd: s.budgetUsd === null ? null : money(s.budgetUsd),
    costUsd: money(spent),
    forecastUsd: forecastCost(spent, runs),
    concurrency,
    currentWave: live?.currentWave ?? (running.length ? Math.min(...running) : null),
    waveCount: waveCount(config, runs),
    createdAt: s.createdAt.toISOString(),
    startedAt: iso(s.startedAt),
    endedAt: iso(s.endedAt),
    statusReason: s.stopReason,
  };
}

/** Reads whatever the views of these sessions need, in a fixed number of queries. */
export class SessionViewReader {
  constructor(private readonly repos: Repos) {}

  spentBySession(ids: string[]): Promise<Map<string, number>> {
    return this.repos.usage.spentBySessions(ids);
  }

  projectNames(ids: string[]): Promise<Map<string, string>> {
    return this.repos.projects.namesOf(ids);
  }

  async storyMeta(projectId: string, storyIds: string[]): Promise<Map<string, StoryMeta>> {
    if (storyIds.length === 0) return new Map();
    const rows = await this.repos.stories.withIds(projectId, storyIds);
    return new Map(rows.map((r) => [r.storyId, { title: r.title, domain: r.domain }]));
  }

  async summaries(sessionRows: Session[], live: (id: string) => LiveSessionFacts | null): Promise<SessionSummary[]> {
    if (sessionRows.length === 0) return [];
    const ids = sessionRows.map((s) => s.id);
    const [names, spent, runs] = await Promise.all([
      this.projectNames(sessionRows.map((s) => s.projectId)),
      this.spentBySession(ids),
      this.repos.storyRuns.ofSessions(ids),
    ]);
    return sessionRows.map((s) =>
      toSessionSummary(
        s,
        names.get(s.projectId) ?? s.projectId,
        runs.filter((r) => r.sessionId === s.id),
        spent.get(s.id) ?? 0,
        live(s.id),
      ),
    );
  }

  async listSummaries(live: (id: string) => LiveSessionFacts | null, limit = 200): Promise<SessionSummary[]> {
    const rows = await this.repos.sessions.newest(limit);
    return this.summaries(rows, live);
  }

  async sessionView(
    sessionId: string,
    live: LiveSessionFacts | null,
    progress: (storyRunId: string) => StoryRunView['progress'],
  ): Promise<SessionView | null> {
    const s = await this.repos.sessions.byId(sessionId);
    if (!s) return null;
    const [runs, gates, names, spent] = await Promise.all([
      this.repos.storyRuns.ofSession(sessionId),
      this.repos.gateRuns.ofSession(sessionId),
      this.projectNames([s.projectId]),
      this.spentBySession([sessionId]),
    ]);
    const [meta, shas] = await Promise.all([
      this.storyMeta(
        s.projectId,
        runs.map((r) => r.storyId),
      ),
      this.approvalShas(runs),
    ]);
    const summary = toSessionSummary(s, names.get(s.projectId) ?? s.projectId, runs, spent.get(sessionId) ?? 0, live);
    return {
      ...summary,
      stories: runs.map((r) =>
        toStoryRunView(
          r,
          meta.get(r.storyId),
          gates.filter((g) => g.storyRunId === r.id),
          progress(r.id),
          shas.get(r.id),
        ),
      ),
    };
  }

  /** For stories waiting for a merge approval: the commit gate-7 asked about (its latest request). */
  private async approvalShas(runs: StoryRun[]): Promise<Map<string, string>> {
    const waiting = runs.filter((r) => isAwaitingMergeApproval(r));
    const out = new Map<string, string>();
    if (waiting.length === 0) return out;
    const bySubject = new Map(waiting.map((r) => [storySubject(r.sessionId, r.storyId), r.id]));
    const rows = await this.repos.audit.withActionAbout(MERGE_APPROVAL_REQUESTED, [...bySubject.keys()]);
    for (const row of rows) {
      const sha = (row.detail as { headSha?: unknown } | null)?.headSha;
      const id = bySubject.get(row.subjectId);
      if (id && typeof sha === 'string') out.set(id, sha);
    }
    return out;
  }

  async storyView(
    storyRunId: string,
    meta: StoryMeta | undefined,
    progress: StoryRunView['progress'],
  ): Promise<StoryRunView | null> {
    const run = await this.repos.storyRuns.byId(storyRunId);
    if (!run) return null;
    const gates = await this.repos.gateRuns.ofStoryRun(storyRunId);
    let m = meta;
    if (!m) {
      const sess = await this.repos.sessions.byId(run.sessionId);
      if (sess) m = (await this.storyMeta(sess.projectId, [run.storyId])).get(run.storyId);
    }
    return toStoryRunView(run, m, gates, progress, (await this.approvalShas([run])).get(run.id));
  }
}

/** The recovery list entry the UI shows, from the checkpointer's finding. */
export function toInterruptedView(i: InterruptedSession, projectName: string): InterruptedView {
  return {
    session: i.sessionId,
    project: projectName,
    status: i.status,
    lastCheckpointAt: iso(i.lastCheckpointAt),
    // A paused session was not interrupted: what it waits for (budget, merge approvals) is the story.
    why: i.status === 'paused' && i.stopReason ? i.stopReason : i.reason,
    stories: i.stories.map((s) => ({ id: s.storyId, gate: isViewGate(s.gate) ? s.gate : null, status: s.status })),
  };
}
