import fs from 'node:fs';
import path from 'node:path';
import type { EventName, EventOf, StoryRunView } from '../../../shared/ipc';
import { GATE_NAMES } from '../../../shared/ipc';
import { storiesInParallelProblem } from '../../../shared/limits';
import { isDoneStory } from '../../../shared/status';
import { loadWaveConfig, WaveConfigError, type WaveConfig } from '../../core/config';
import {
  AGENT_PRESETS,
  type Orchestrator,
  type AgentPresetName,
  type EventSink,
  type SessionHandle,
  type SessionOutcome,
  type StartSessionRequest,
} from '../../core/orchestrator';
import type { SessionRecoveryResult } from '../../core/checkpointer';
import {
  fleetUnavailableHere,
  resumeFleetSession,
  startFleetSession,
  type FleetDeps,
  type FleetSession,
} from '../../core/fleet/fleet-session';
import { ensureProject, parsePrdText } from '../../core/prd';
import type { CoreServices } from '../../core/services';
import type { WaveSettings } from '../../core/settings/wave-settings';
import {
  CliError,
  orchestratorToCli,
  parseBudgetOption,
  usageError,
  type CliCommand,
  type CliContext,
} from '../cli-types';

export { orchestratorToCli } from '../cli-types';
import { cliBus, cliLog, withCliCore } from '../core-runtime';
import { rawStream } from '../inert-io';
import { importProgress } from '../progress';
import { resolveProjectRepo } from './import';
import { fmtUsd, renderOutcome } from './outcome-text';

/**
 * The core services a session command runs on (WAVE_HOME / DATABASE_URL / REDIS_URL, from
 * the command's settings) with the event bus already started; closed after `fn`.
 */
export async function withCliRuntime<T>(
  ctx: CliContext,
  fn: (core: CoreServices) => Promise<T>,
  settings: WaveSettings = ctx.settings,
): Promise<T> {
  return withCliCore(
    ctx,
    async (core) => {
      await cliBus(core);
      return fn(core);
    },
    { settings },
  );
}

export function loadProjectConfig(repo: string): Promise<WaveConfig> {
  return loadWaveConfig(repo).then(
    (l) => l.config,
    (e) => {
      if (e instanceof WaveConfigError) throw new CliError(`The project's ${e.message}`, 1, 'invalid_config');
      throw e;
    },
  );
}

const fmtSecs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const gateLabel = (g: string | null) => (g ? `${g} ${GATE_NAMES[g as keyof typeof GATE_NAMES] ?? ''}`.trim() : '');

/**
 * Session progress on stderr. On a terminal: one live line per running story (gate,
 * elapsed, cost), redrawn in place, with finished stories and notices printed above it.
 * Elsewhere: one plain line per gate result.
 */
export class ProgressRenderer implements EventSink {
  private readonly running = new Map<string, StoryRunView>();
  private readonly seen = new Set<string>();
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastDraw = 0;
  private pendingDraw: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly quiet = false,
  ) {
    if (tty && !quiet) {
      this.timer = setInterval(() => this.draw(), 1000);
      this.timer.unref();
    }
  }

  publish<E extends EventName>(name: E, payload: EventOf<E>): void {
    if (this.quiet) return;
    if (name === 'story.changed') this.onStory(payload as EventOf<'story.changed'>);
    else if (name === 'story.progress') {
      const p = payload as EventOf<'story.progress'>;
      const s = this.running.get(p.id);
      if (s) this.running.set(p.id, { ...s, progress: p.progress });
    } else if (name === 'notice') {
      const n = payload as EventOf<'notice'>;
      this.permanent(
        `${n.kind === 'completed' ? '✓' : n.kind === 'failed' || n.kind === 'escalation' ? '✗' : '!'} ${n.title}: ${n.body}`,
      );
    } else if (name === 'stop.progress') {
      const p = payload as EventOf<'stop.progress'>;
      this.permanent(`■ ${p.message}`);
    }
  }

  private onStory(s: StoryRunView): void {
    const active = s.status === 'running';
    if (active) this.running.set(s.id, s);
    else this.running.delete(s.id);
    for (const g of s.gates) {
      if (g.status === 'running') continue;
      const key = `${s.id}/${g.gateRunId}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      if (!this.tty)
        this.line(
          `${s.storyId} ${gateLabel(g.gate)} ${g.status}${g.attempt > 1 ? ` (attempt ${g.attempt})` : ''} in ${fmtSecs(g.durationMs ?? 0)}${g.reason && g.status === 'failed' ? `: ${g.reason}` : ''}`,
        );
    }
    if (!active && s.status !== 'queued') {
      const key = `${s.id}/end/${s.status}/${s.endedAt ?? ''}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        const mark = isDoneStory(s.status) ? '✓' : s.status === 'stopped' ? '■' : '✗';
        this.permanent(
          `${mark} ${s.storyId} ${s.status}${s.currentGate ? ` at ${s.currentGate}` : ''}${s.mergeSha ? ` ${s.mergeSha.slice(0, 10)}` : ''} (${fmtUsd(s.costUsd)})${s.reason && s.status !== 'merged' ? ` — ${s.reason}` : ''}`,
        );
      }
    }
    this.scheduleDraw();
  }

  private line(text: string): void {
    this.out.write(`${text}\n`);
  }

  private permanent(text: string): void {
    if (!this.tty) return this.line(text);
    this.clear();
    this.line(text);
    this.draw();
  }

  private clear(): void {
    // WAVE's own cursor control: the one sequence that goes to the terminal as it is.
    if (this.drawn > 0) rawStream(this.out).write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private scheduleDraw(): void {
    if (!this.tty || this.pendingDraw) return;
    const wait = Math.max(0, 100 - (Date.now() - this.lastDraw));
    this.pendingDraw = setTimeout(() => {
      this.pendingDraw = null;
      this.draw();
    }, wait);
  }

  private draw(): void {
    if (!this.tty) return;
    this.lastDraw = Date.now();
    this.clear();
    const width = (this.out as NodeJS.WriteStream).columns || 120;
    const lines = [...this.running.values()]
      .sort((a, b) => a.storyId.localeCompare(b.storyId))
      .map((s) => {
        const elapsed = s.startedAt ? Date.now() - Date.parse(s.startedAt) : 0;
        const text = `  ${s.storyId.padEnd(12)} ${gateLabel(s.currentGate).padEnd(20)} ${fmtSecs(elapsed).padStart(7)} ${fmtUsd(s.costUsd).padStart(9)}  ${s.progress?.message ?? ''}`;
        return text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
      });
    for (const l of lines) this.out.write(`${l}\n`);
    this.drawn = lines.length;
  }

  /** Removes the live block and stops redrawing. Safe to call twice. */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pendingDraw) clearTimeout(this.pendingDraw);
    this.timer = this.pendingDraw = null;
    if (this.tty) this.clear();
  }
}

/**
 * Waits for a session this process drives, turning SIGINT/SIGTERM into an emergency stop
 * (a second signal leaves at once), and prints its outcome. Returns the exit code.
 */
export async function driveSession(
  ctx: CliContext,
  orchestrator: Orchestrator,
  handle: SessionHandle,
  renderer: ProgressRenderer,
  actor: string,
  extra: Record<string, unknown> = {},
): Promise<number> {
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = true;
    ctx.info(`\n${sig} received: stopping session ${handle.sessionId} (press Ctrl-C again to leave at once)…`);
    void orchestrator.stop(handle.sessionId, { reason: `${sig} received by wave`, by: actor });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await handle.done;
    renderer.end();
    ctx.output({ ...outcome, ...extra }, () => renderOutcome(outcome));
    return outcome.status === 'completed' ? 0 : 1;
  } finally {
    renderer.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function parseConcurrency(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const problem = storiesInParallelProblem(n);
  if (problem) throw usageError(`--concurrency ${raw}: ${problem}.`);
  return n;
}

/** `--agent P`: a known agent preset, or a usage error listing them. */
export function parseAgent(raw: unknown): AgentPresetName | undefined {
  if (raw === undefined) return undefined;
  if (!(AGENT_PRESETS as readonly string[]).includes(String(raw)))
    throw usageError(`--agent ${raw}: use one of ${AGENT_PRESETS.join(', ')}.`);
  return raw as AgentPresetName;
}

/** Imports what `wave run` is given and decides which PRD runs. */
async function importAndPickPrd(
  ctx: CliContext,
  core: CoreServices,
  repo: string,
  config: WaveConfig,
  storiesArg: string | undefined,
  prdArg: string | undefined,
  actor: string,
): Promise<string> {
  const project = await ensureProject(core.store, repo, config);
  const prds = core.prds;
  let prdId: string | null = null;
  const paths: string[] = [];
  if (prdArg) {
    const abs = path.resolve(ctx.cwd, prdArg);
    if (fs.existsSync(abs) && fs.statSync(abs).isFile()) {
      const parsed = parsePrdText(fs.readFileSync(abs, 'utf8'), prdArg);
      if (!parsed.prd)
        throw new CliError(
          `${prdArg} is not a valid PRD: ${parsed.errors.map((e) => `line ${e.line}: ${e.message} ${e.suggestion}`).join(' ')}`,
          1,
          'invalid_prd',
        );
      prdId = parsed.prd.id;
      paths.push(abs);
    } else if (/\.(md|markdown)$/i.test(prdArg) || prdArg.includes('/')) {
      throw usageError(`--prd ${prdArg}: no such file. Give the PRD file or the id of an imported PRD.`);
    } else {
      prdId = prdArg;
    }
  }
  if (storiesArg) {
    const abs = path.resolve(ctx.cwd, storiesArg);
    if (!fs.existsSync(abs)) throw usageError(`--stories ${storiesArg}: no such file or folder.`);
    paths.unshift(abs);
  }
  if (paths.length) {
    const report = await core.importer.importPaths(paths, {
      projectId: project.id,
      actor,
      cwd: ctx.cwd,
      prdId: storiesArg && prdId ? prdId : undefined,
      onProgress: importProgress((l) => ctx.info(l)),
    });
    const invalid = report.files.filter((f) => f.status === 'invalid');
    if (invalid.length) {
      throw new CliError(
        `Nothing was run: ${invalid.length} file(s) are invalid.\n${invalid
          .map(
            (f) =>
              `  ${f.file}: ${f.errors.map((e) => `line ${e.line}: ${e.message} ${e.suggestion}`).join(' ') || f.message}`,
          )
          .join('\n')}\nFix them (wave validate <files>) and run again.`,
        1,
        'invalid_input',
      );
    }
    const s = report.summary;
    ctx.info(
      `Imported into project ${project.name}: ${s.imported} new, ${s.updated} updated, ${s.unchanged} unchanged.`,
    );
    for (const f of report.files)
      for (const v of f.voided) ctx.info(`  ! approval of PRD ${v.prdId} is void: ${v.reason}`);
  }
  if (!prdId) {
    const list = await prds.list(project.id);
    if (list.length !== 1) {
      throw usageError(
        list.length === 0
          ? `Project ${repo} has no PRD. Give one with --prd <file>.`
          : `Project ${repo} has ${list.length} PRDs (${list.map((p) => p.id).join(', ')}); choose one with --prd <id|file>.`,
      );
    }
    prdId = list[0]!.id;
  }
  return prdId;
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run an approved PRD: every wave of its stories through the 8 gates, merged into the target branch',
  usage:
    'wave run --project <repo> [--stories <dir>] [--prd <file|id>] [--concurrency N] [--budget USD] [--agent command|claude-code|scripted] [--approve-as NAME] [--json]',
  help: [
    'Imports what it is given (--stories, --prd), checks that the PRD is approved for its current text and stories,',
    "then runs every wave to the end. --agent runs another preset than wave.config.json's: the approval must be for it",
    '(wave prd approve <id> --agent P). --approve-as records an approval by that name first (audited), for unattended',
    "runs: for the preset that will run (--agent, else wave.config.json's).",
    'Progress goes to stderr (a live line per running story on a terminal). --json prints on stdout:',
    '  {"session","status","cost_usd","stories":[{"id","status","gate","attempts","cost_usd","merge_sha"}]}',
    'Exit code 0 when every story merged; 1 when the session failed, paused (budget) or was stopped.',
    'Ctrl-C stops the session (agents stopped, stories checkpointed); continue it with wave resume <session>.',
  ].join('\n'),
  options: {
    project: { type: 'string' },
    stories: { type: 'string' },
    prd: { type: 'string' },
    concurrency: { type: 'string' },
    budget: { type: 'string' },
    agent: { type: 'string' },
    'approve-as': { type: 'string' },
    fleet: { type: 'boolean' },
  },
  async run(ctx, args) {
    if (args.positionals.length)
      throw usageError(`wave run takes no positional arguments (got ${args.positionals.join(' ')}).`, runCommand.usage);
    const repo = resolveProjectRepo(ctx.cwd, args.values.project as string | undefined);
    const concurrency = parseConcurrency(args.values.concurrency);
    const budgetUsd = parseBudgetOption(args.values.budget);
    const agentPreset = parseAgent(args.values.agent);
    const approveAs = (args.values['approve-as'] as string | undefined)?.trim();
    const config = await loadProjectConfig(repo);
    const actor = ctx.settings.actor;
    const fleet = args.values.fleet === true;
    const unavailable = fleet ? fleetUnavailableHere(ctx.settings) : null;
    if (unavailable)
      throw new CliError(`${unavailable} Without --fleet the session runs here.`, 1, 'fleet_unavailable');
    return withCliRuntime(ctx, async (core) => {
      const prdId = await importAndPickPrd(
        ctx,
        core,
        repo,
        config,
        args.values.stories as string | undefined,
        args.values.prd as string | undefined,
        actor,
      );
      if (approveAs) await approveForUnattendedRun(ctx, core, prdId, approveAs, agentPreset);
      const renderer = new ProgressRenderer(ctx.stderr, ctx.isTTY && !ctx.json);
      const orchestrator = await core.orchestrator(renderer, { log: cliLog(ctx) });
      if (fleet) {
        try {
          return await runOnFleet(ctx, core, orchestrator, { prdId, concurrency, budgetUsd, agentPreset, actor });
        } finally {
          renderer.end();
          await orchestrator.dispose();
        }
      }
      try {
        const handle = await orchestrator
          .startSession({ prdId, concurrency, budgetUsd, agentPreset, actor, projectPath: undefined })
          .catch(orchestratorToCli);
        ctx.info(`Session ${handle.sessionId} started for PRD ${prdId} on ${repo}.`);
        return await driveSession(ctx, orchestrator, handle, renderer, actor);
      } finally {
        renderer.end();
        await orchestrator.dispose();
      }
    });
  },
};

/** --fleet: the session is created and planned here, its story runs go to wave worker processes. */
async function runOnFleet(
  ctx: CliContext,
  core: CoreServices,
  orchestrator: Orchestrator,
  req: StartSessionRequest,
): Promise<number> {
  const fleet = await startFleetSession(await fleetDeps(ctx, core, orchestrator), req).catch(orchestratorToCli);
  ctx.info(
    `Session ${fleet.sessionId} started on the fleet for PRD ${req.prdId}; workers land on ${fleet.config.remote}.`,
  );
  return driveFleet(ctx, core, fleet);
}

async function fleetDeps(ctx: CliContext, core: CoreServices, orchestrator: Orchestrator): Promise<FleetDeps> {
  return { orchestrator, store: core.store, bus: await core.bus(), settings: ctx.settings, log: cliLog(ctx) };
}

/**
 * `wave resume` of a fleet session: this process becomes its coordinator until it ends (no
 * recovery reset: each worker resumes a story run from its last checkpoint).
 */
export async function resumeOnFleet(
  core: CoreServices,
  sessionId: string,
  ctx: CliContext,
  budgetUsd?: number | null,
): Promise<number> {
  await cliBus(core);
  const renderer = new ProgressRenderer(ctx.stderr, ctx.isTTY && !ctx.json);
  const orchestrator = await core.orchestrator(renderer, { log: cliLog(ctx) });
  try {
    const deps = await fleetDeps(ctx, core, orchestrator);
    const fleet = await resumeFleetSession(deps, sessionId, {
      actor: ctx.settings.actor,
      ...(budgetUsd !== undefined ? { budgetUsd } : {}),
    }).catch(orchestratorToCli);
    ctx.info(`Session ${sessionId} continues on the fleet; workers land on ${fleet.config.remote}.`);
    return await driveFleet(ctx, core, fleet);
  } finally {
    renderer.end();
    await orchestrator.dispose();
  }
}

/** Waits for a fleet session this process coordinates to end, and prints how it ended. */
async function driveFleet(ctx: CliContext, core: CoreServices, fleet: FleetSession): Promise<number> {
  const sessionId = fleet.sessionId;
  try {
    const end = await fleet.done;
    if (!end) throw new CliError(`Session ${sessionId}: the coordinator was closed before the session ended.`, 1);
    const runs = await core.repos.storyRuns.ofSession(sessionId);
    ctx.output(
      {
        session: sessionId,
        status: end.status,
        reason: end.reason,
        stories: runs.map((r) => ({ id: r.storyId, status: r.status, gate: r.currentGate, merge_sha: r.mergeSha })),
      },
      () => `Session ${sessionId} ${end.status}: ${end.reason}`,
    );
    return end.status === 'completed' ? 0 : 1;
  } finally {
    await fleet.close();
  }
}

/**
 * --approve-as: approves the PRD for the agent preset that will run (`agentPreset`, default
 * wave.config.json's) unless it already is; the audit entry holds this process's user, the name is shown beside it.
 */
export async function approveForUnattendedRun(
  ctx: CliContext,
  core: CoreServices,
  prdId: string,
  by: string,
  agentPreset?: AgentPresetName,
): Promise<void> {
  const prds = core.prds;
  const status = await prds.approvalStatus(prdId, agentPreset);
  if (status.approved) return;
  if (status.status === 'rejected')
    throw new CliError(
      `PRD ${prdId} was rejected: ${status.reason} --approve-as does not override a rejection.`,
      1,
      'rejected',
    );
  try {
    await prds.approve(prdId, {
      by: ctx.settings.actor,
      name: by,
      comment: 'Approved for an unattended run (wave run --approve-as).',
      agentPreset,
    });
  } catch (e) {
    throw new CliError(`Could not approve PRD ${prdId} as ${by}: ${(e as Error).message}`, 1, 'approval_failed');
  }
  ctx.info(
    `Approved PRD ${prdId} as ${by}${agentPreset ? ` for agent preset ${agentPreset}` : ''} (recorded in the audit log as ${ctx.settings.actor}).`,
  );
}

/**
 * Continues a session `wave resume` has just recovered, in this process, with progress and
 * Ctrl-C → emergency stop; resolves with its outcome when it ends. Wire it as
 * createResumeCommand({ claimsSession: true, continueSession: continueFromRecovery }).
 */
export async function continueFromRecovery(
  core: CoreServices,
  result: SessionRecoveryResult,
  ctx: CliContext,
  budgetUsd?: number | null,
): Promise<SessionOutcome> {
  await cliBus(core);
  const actor = ctx.settings.actor;
  const renderer = new ProgressRenderer(ctx.stderr, ctx.isTTY && !ctx.json);
  const orchestrator = await core.orchestrator(renderer, { log: cliLog(ctx) });
  let signalled = false;
  let sessionId: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = true;
    ctx.info(`\n${sig} received: stopping session ${result.sessionId} (press Ctrl-C again to leave at once)…`);
    if (sessionId) void orchestrator.stop(sessionId, { reason: `${sig} received by wave`, by: actor });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const handle = await orchestrator
      .continueRecovered(result, budgetUsd !== undefined ? { budgetUsd } : {})
      .catch(orchestratorToCli);
    sessionId = handle.sessionId;
    ctx.info(`Session ${handle.sessionId} continues in this process.`);
    const outcome = await handle.done;
    renderer.end();
    if (!ctx.json) ctx.info(renderOutcome(outcome));
    return outcome;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    renderer.end();
    await orchestrator.dispose();
  }
}
