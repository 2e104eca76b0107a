import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { PriceTable } from '../pricing';
import type { AgentLineEvent as AgentEvent, AgentSignalLine as AgentSignalEvent } from '../../../shared/events';
import type { AgentInvocationContext, AgentPreset, OutputParser, ParserOutcome } from './agent-preset';
import { basePolicy, buildChildEnv, type BuiltEnv, type ChildEnvPolicy, type WaveAgentVariable } from './agent-env';
import { assertAgentName, assertStoryId } from './names';
import { LineSplitter } from './line-splitter';
import { ProcessGroups, type ProcessGroupRecord, type StopReport } from './process-groups';
import { assertSafeSessionId } from './session-id';
import { UsageAccumulator, type UsageSummary } from './usage';

export interface AgentRunRequest extends AgentInvocationContext {
  preset: AgentPreset;
  /** One log file per gate run: stdout, stderr (prefixed) and wave's own notes. */
  logFile: string;
  /** execution.timeout_minutes, in ms: the whole process group is stopped when it passes. */
  timeoutMs: number;
  /** Values WAVE's own code sets for this agent (e.g. the preset's ELECTRON_RUN_AS_NODE, a test's tag); the runner's WAVE_* win. */
  env?: Record<string, string>;
  /** Every line as it arrives (stdout and stderr), for live display. */
  onLine?: (line: AgentOutputLine) => void;
  /** Every agent event as it arrives; usage events carry a priced cost_usd when they had none. */
  onEvent?: (event: AgentEvent) => void;
}

export interface AgentOutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
  at: number;
  /** True when the line was an agent event. */
  event: boolean;
}

export type AgentRunStatus = 'succeeded' | 'failed' | 'timed_out' | 'stopped' | 'spawn_failed';

export interface AgentRunResult {
  status: AgentRunStatus;
  exitCode: number | null;
  signal: string | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  logFile: string;
  /** Totals for this run (the agent's own final report when it gives one, else the sum of usage events). */
  usage: UsageSummary;
  signals: AgentSignalEvent[];
  lastProgress?: { message: string; pct?: number };
  /** Why the phase did not succeed, for a person. */
  failure?: { kind: string; message: string };
  /** The agent's own word on how it ended (claude-code: `success`, `error_max_turns`, `max_tokens`, …). */
  ending?: string;
  /** Processes the agent left running in its group when it exited (stopped by the runner). */
  leftoverProcesses: number;
  /** JSON lines with a `type` that were not valid events (kept in the log). */
  invalidEvents: number;
  pid?: number;
}

/** A running agent phase. */
export interface AgentRun {
  readonly pid: number | undefined;
  readonly sessionId: string;
  readonly storyId: string;
  readonly done: Promise<AgentRunResult>;
  /** Stops this run's process group (SIGTERM, SIGKILL after the grace). */
  stop(graceMs?: number): Promise<StopReport>;
}

export interface AgentRunnerOptions {
  groups?: ProcessGroups;
  prices?: PriceTable;
  /** SIGTERM → SIGKILL grace for stops, timeouts and leftovers (default 2 s). */
  graceMs?: number;
  /** What agents may see of the app's environment (default: the base names of this process's environment, nothing granted). */
  env?: ChildEnvPolicy;
}

/**
 * Runs agent phases: argv only (never a shell), cwd = the story's worktree, each agent
 * leading its own process group (`detached: true`) so that a stop or a timeout reaches
 * every process it started. stdout lines that are JSON objects with a `type` are events,
 * the rest is log; everything goes to the gate run's log file and to the callbacks.
 */
export class AgentRunner {
  readonly groups: ProcessGroups;
  private readonly prices: PriceTable;
  private readonly graceMs: number;
  private readonly active = new Set<ActiveRun>();
  private disposed = false;

  constructor(private readonly options: AgentRunnerOptions = {}) {
    this.groups = options.groups ?? new ProcessGroups();
    this.prices = options.prices ?? PriceTable.load();
    this.graceMs = options.graceMs ?? 2_000;
  }

  /** Starts an agent phase; the returned run settles when the agent and its group are gone. */
  start(request: AgentRunRequest): AgentRun {
    assertSafeSessionId(request.sessionId);
    assertStoryId(request.storyId);
    assertAgentName(request.agentId);
    const run = new ActiveRun(request, this.groups, this.prices, this.graceMs, this.env(request));
    if (this.disposed) run.requestStop();
    this.active.add(run);
    void run.done.finally(() => this.active.delete(run));
    return run;
  }

  /** Starts an agent phase and waits for its result. */
  run(request: AgentRunRequest): Promise<AgentRunResult> {
    return this.start(request).done;
  }

  /** Runs of a session (or all) still in progress. */
  activeRuns(sessionId?: string): AgentRun[] {
    return [...this.active].filter((r) => sessionId === undefined || r.sessionId === sessionId);
  }

  /**
   * Stops every agent process group this runner (or, with a state dir, an earlier
   * process of this app) created for the session: SIGTERM, SIGKILL after the grace, then
   * a /proc check that nothing of those groups is alive. Runs end with status `stopped`.
   */
  async stopAll(sessionId: string, options: { graceMs?: number } = {}): Promise<StopReport> {
    const runs = [...this.active].filter((r) => r.sessionId === sessionId);
    const stopping = this.groups.stopSession(sessionId, options.graceMs ?? this.graceMs);
    for (const run of runs) run.requestStop(stopping);
    const report = await stopping;
    await Promise.allSettled(runs.map((r) => r.done));
    return report;
  }

  /** Stops everything this runner started in this process. Safe to call twice. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const runs = [...this.active];
    for (const run of runs) run.requestStop();
    await Promise.all(runs.map((run) => run.stop()));
  }

  private env(request: AgentRunRequest): BuiltEnv {
    const policy = this.options.env ?? basePolicy();
    // Typed by WAVE_AGENT_VARIABLES: a WAVE_* name the list does not declare does not compile.
    const wave: Partial<Record<WaveAgentVariable, string>> = {
      WAVE_SESSION_ID: request.sessionId,
      WAVE_STORY_ID: request.storyId,
      WAVE_GATE: request.gate,
      WAVE_PHASE: request.phase,
      WAVE_STORY_FILE: request.storyFile,
      WAVE_PROMPT_FILE: request.promptFile,
      WAVE_AGENT_ID: request.agentId,
      ...(request.feedbackFile ? { WAVE_FEEDBACK_FILE: request.feedbackFile } : {}),
      ...(request.contextFile ? { WAVE_CONTEXT_FILE: request.contextFile } : {}),
      ...(request.subagentDepth ? { WAVE_SUBAGENT_DEPTH: String(request.subagentDepth) } : {}),
    };
    const own: Record<string, string> = { ...(request.env ?? {}), ...(wave as Record<string, string>) };
    return buildChildEnv(policy, own, request.preset.name);
  }
}

class ActiveRun implements AgentRun {
  readonly done: Promise<AgentRunResult>;
  readonly sessionId: string;
  readonly storyId: string;
  private child: ChildProcess | undefined;
  private record: ProcessGroupRecord | undefined;
  private stopRequested = false;
  private timedOut = false;
  /** The stop or timeout that owns the group, once one is under way. */
  private stopping: Promise<unknown> | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly request: AgentRunRequest,
    private readonly groups: ProcessGroups,
    private readonly prices: PriceTable,
    private readonly graceMs: number,
    env: BuiltEnv,
  ) {
    this.sessionId = request.sessionId;
    this.storyId = request.storyId;
    this.done = this.execute(env);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  requestStop(stopping?: Promise<unknown>): void {
    this.stopRequested = true;
    if (stopping) this.stopping ??= stopping;
  }

  async stop(graceMs = this.graceMs): Promise<StopReport> {
    this.stopRequested = true;
    const terminating = this.record
      ? this.groups.terminate([this.record], graceMs)
      : Promise.resolve({ stopped: 0, killed: 0, aliveAfter: 0, groups: [] });
    this.stopping ??= terminating;
    const report = await terminating;
    await this.done.catch(() => undefined);
    return report;
  }

  private async execute(built: BuiltEnv): Promise<AgentRunResult> {
    const req = this.request;
    mkdirSync(dirname(req.logFile), { recursive: true });
    const log = createWriteStream(req.logFile, { flags: 'a' });
    const usage = new UsageAccumulator(this.prices);
    const signals: AgentSignalEvent[] = [];
    let lastProgress: AgentRunResult['lastProgress'];
    let invalidEvents = 0;
    let parser: OutputParser;
    let invocation;
    try {
      parser = req.preset.createParser(this.prices);
      invocation = req.preset.invocation({
        sessionId: req.sessionId,
        storyId: req.storyId,
        gate: req.gate,
        phase: req.phase,
        agentId: req.agentId,
        worktreePath: req.worktreePath,
        storyFile: req.storyFile,
        promptFile: req.promptFile,
        feedbackFile: req.feedbackFile,
        contextFile: req.contextFile,
      });
    } catch (error) {
      return this.spawnFailed(
        log,
        usage,
        `the ${req.preset.name} agent preset could not build the command: ${(error as Error).message}`,
      );
    }
    const argv = invocation.argv;
    const env = { ...built.env, ...(invocation.env ?? {}) };
    write(
      log,
      `[wave] ${new Date(this.startedAt).toISOString()} start ${req.gate} ${req.phase} story=${req.storyId} agent=${req.agentId} argv=${JSON.stringify(argv)}\n`,
    );
    write(log, `[wave] environment (names only): ${Object.keys(env).sort().join(' ')}\n`);
    if (argv.length === 0 || argv.some((a) => typeof a !== 'string' || a.includes('\0'))) {
      return this.spawnFailed(log, usage, 'the agent command is empty or has an invalid argument');
    }
    if (!existsSync(req.worktreePath)) {
      return this.spawnFailed(
        log,
        usage,
        `the worktree ${req.worktreePath} does not exist (re-run gate-0 to create it)`,
      );
    }
    if (this.stopRequested)
      return this.finish(log, usage, signals, lastProgress, invalidEvents, { exitCode: null, signal: null }, {}, 0);

    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: req.worktreePath,
      env,
      detached: true,
      stdio: [invocation.stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    if (child.pid !== undefined) {
      this.record = this.groups.register({
        pid: child.pid,
        sessionId: req.sessionId,
        storyId: req.storyId,
        label: `${req.gate} ${req.phase}`,
      });
    }
    let spawnError: Error | undefined;
    const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
      child.once('error', (error) => {
        spawnError = error;
        if (child.pid === undefined) resolve({ exitCode: null, signal: null });
      });
      child.once('exit', (code, signal) => resolve({ exitCode: code, signal }));
    });
    const stdoutClosed = new Promise<void>((resolve) =>
      child.stdout ? child.stdout.once('close', () => resolve()) : resolve(),
    );
    const stderrClosed = new Promise<void>((resolve) =>
      child.stderr ? child.stderr.once('close', () => resolve()) : resolve(),
    );

    if (invocation.stdinFile && child.stdin) {
      // The agent may exit without reading all of it: a broken pipe is not our error.
      child.stdin.on('error', () => undefined);
      const input = createReadStream(invocation.stdinFile);
      input.on('error', (error) => {
        write(log, `[wave] could not read ${invocation.stdinFile}: ${error.message}\n`);
        child.stdin?.end();
      });
      input.pipe(child.stdin);
    }

    const onStdoutLine = (text: string) => {
      const at = Date.now();
      write(log, `${text}\n`);
      let parsed;
      try {
        parsed = parser.line(text);
      } catch (error) {
        parsed = { events: [], invalid: `parser error: ${(error as Error).message}` };
      }
      if (parsed.invalid) {
        invalidEvents += 1;
        write(log, `[wave] ignored an invalid event line: ${parsed.invalid}\n`);
      }
      safeCall(req.onLine, { stream: 'stdout', text, at, event: parsed.events.length > 0 });
      for (let event of parsed.events) {
        if (event.type === 'usage') {
          const cost = usage.addEvent(event);
          if (event.cost_usd === undefined && cost !== null) event = { ...event, cost_usd: cost };
        } else if (event.type === 'signal') {
          signals.push(event);
        } else if (event.type === 'progress') {
          lastProgress = { message: event.message, pct: event.pct };
        }
        safeCall(req.onEvent, event);
      }
    };
    const onStderrLine = (text: string) => {
      write(log, `[stderr] ${text}\n`);
      safeCall(req.onLine, { stream: 'stderr', text, at: Date.now(), event: false });
    };
    const out = new LineSplitter(onStdoutLine);
    const err = new LineSplitter(onStderrLine);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));

    // setTimeout fires at once for delays over 2^31-1 ms (~24.8 days): clamp.
    const timer = setTimeout(
      () => {
        this.timedOut = true;
        write(log, `[wave] timed out after ${req.timeoutMs} ms: stopping the agent's process group\n`);
        if (this.record) this.stopping ??= this.groups.terminate([this.record], this.graceMs);
      },
      Math.min(Math.max(1, req.timeoutMs), 2 ** 31 - 1),
    );

    const exit = await exited;
    clearTimeout(timer);
    let leftovers = 0;
    // A stop or timeout already owns the group (and verifies it in /proc): no second stopper.
    if (this.record && !this.stopRequested && !this.timedOut) {
      // The agent is gone; whatever it left in its group (a dev server, a watcher) goes too.
      leftovers = this.groups.members([this.record]).get(this.record)?.length ?? 0;
      if (leftovers > 0)
        write(log, `[wave] the agent left ${leftovers} process(es) running in its group: stopping them\n`);
      const report = await this.groups.terminate([this.record], this.graceMs);
      if (report.aliveAfter > 0)
        write(log, `[wave] ${report.aliveAfter} process(es) of the agent's group are still alive after SIGKILL\n`);
    } else if (this.stopping) {
      await this.stopping.catch(() => undefined);
    }
    // With the group gone nobody holds the pipes: they close at once. The cap guards
    // against a process that escaped the group (setsid) and kept our stdout.
    const closedInTime = await Promise.race([
      Promise.all([stdoutClosed, stderrClosed]).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref()),
    ]);
    if (!closedInTime) {
      write(
        log,
        '[wave] the agent output stayed open after its process group ended (a process left the group); closing it\n',
      );
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    out.end();
    err.end();
    if (spawnError && child.pid === undefined) {
      return this.spawnFailed(
        log,
        usage,
        `could not start "${argv[0]}" in ${req.worktreePath}: ${spawnError.message}. Check the agent command in wave.config.json and that the program is installed.`,
      );
    }
    let outcome: ParserOutcome;
    try {
      outcome = parser.finish(exit);
    } catch (error) {
      outcome = { failure: { kind: 'parser_error', message: (error as Error).message } };
    }
    return this.finish(log, usage, signals, lastProgress, invalidEvents, exit, outcome, leftovers);
  }

  private async finish(
    log: WriteStream,
    usage: UsageAccumulator,
    signals: AgentSignalEvent[],
    lastProgress: AgentRunResult['lastProgress'],
    invalidEvents: number,
    exit: { exitCode: number | null; signal: string | null },
    outcome: ParserOutcome,
    leftoverProcesses: number,
  ): Promise<AgentRunResult> {
    const req = this.request;
    let status: AgentRunStatus;
    let failure = outcome.failure;
    if (this.stopRequested) {
      status = 'stopped';
      failure = { kind: 'stopped', message: 'The agent was stopped.' };
    } else if (this.timedOut) {
      status = 'timed_out';
      failure = {
        kind: 'timeout',
        message: `The agent did not finish within ${Math.round(req.timeoutMs / 1000)} s (execution.timeout_minutes) and was stopped.`,
      };
    } else if (exit.exitCode === 0 && !failure) {
      status = 'succeeded';
    } else {
      status = 'failed';
      failure ??= {
        kind: exit.signal ? 'signal' : 'exit_code',
        message: exit.signal
          ? `The agent was killed by ${exit.signal}.`
          : `The agent exited with code ${exit.exitCode}.`,
      };
    }
    const summary = outcome.usage ?? usage.summary();
    for (const w of summary.warnings) write(log, `[wave] warning: ${w}\n`);
    const endedAt = Date.now();
    write(
      log,
      `[wave] ${new Date(endedAt).toISOString()} end status=${status} exit=${exit.exitCode ?? 'none'} signal=${exit.signal ?? 'none'}` +
        `${failure ? ` reason=${failure.kind}: ${failure.message}` : ''}\n`,
    );
    await closeLog(log);
    return {
      status,
      exitCode: exit.exitCode,
      signal: exit.signal,
      startedAt: new Date(this.startedAt).toISOString(),
      endedAt: new Date(endedAt).toISOString(),
      durationMs: endedAt - this.startedAt,
      logFile: req.logFile,
      usage: summary,
      signals,
      lastProgress,
      failure,
      ending: outcome.ending,
      leftoverProcesses,
      invalidEvents,
      pid: this.child?.pid,
    };
  }

  private async spawnFailed(log: WriteStream, usage: UsageAccumulator, message: string): Promise<AgentRunResult> {
    write(log, `[wave] ${message}\n`);
    await closeLog(log);
    const now = Date.now();
    return {
      status: 'spawn_failed',
      exitCode: null,
      signal: null,
      startedAt: new Date(this.startedAt).toISOString(),
      endedAt: new Date(now).toISOString(),
      durationMs: now - this.startedAt,
      logFile: this.request.logFile,
      usage: usage.summary(),
      signals: [],
      failure: {
        kind: 'spawn_failed',
        message: `The agent for story ${this.request.storyId} could not start: ${message}`,
      },
      leftoverProcesses: 0,
      invalidEvents: 0,
    };
  }
}

function write(log: WriteStream, text: string): void {
  if (!log.destroyed && !log.writableEnded) log.write(text);
}

function closeLog(log: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (log.writableEnded) return resolve();
    log.end(() => resolve());
    log.once('error', () => resolve());
  });
}

function safeCall<T>(fn: ((value: T) => void) | undefined, value: T): void {
  if (!fn) return;
  try {
    fn(value);
  } catch {
    // A listener's bug must not break the run it listens to.
  }
}
