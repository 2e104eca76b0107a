import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentSpawnLine } from '../../../../shared/events';
import type { StoryDocument } from '../../../../shared/stories';
import type { GateId } from '../../../store';
import { buildContextPack, ContextIndexer, renderContextPackMarkdown, writeContextPack } from '../../context';
import type { AgentEvent, AgentPhase, AgentRun, AgentRunResult, UsageSummary } from '../../executor';
import type { SubagentOutcome } from '../gates/types';
import { SessionFiles } from '../session-files';
import { noteInLog, type StoryEnv } from '../story-env';

/**
 * Subagents: an agent phase may print `{"type":"spawn","task":…,"paths":[…]}` and WAVE runs a
 * child agent for that task in the same worktree, with a context pack built from those paths,
 * through the same runner (so a STOP of the session stops it), its usage counted in the
 * story's budget under its own agent name (`<agent>-sub<n>`). Depth 1: a subagent's own spawn
 * lines are refused, as are spawns over the story's cap (`agent.subagents.maxPerStory`) or
 * once the budget is used up; each refusal is a progress event saying why. The phase ends
 * when its agent and every subagent it started have ended; a child's outcome is written to
 * `.wave/subagents/<agent>-sub<n>.json` for the parent to read.
 */

const indexer = new ContextIndexer();

/** What a subagent inherits from the phase whose agent asked for it. */
export interface SubagentParent {
  gate: GateId;
  phase: AgentPhase;
  logPath: string;
  storyFile: string;
  agent: string;
}

/** How the story's agent port reports a subagent's events and usage (as its own, under the child's name). */
export interface SubagentSink {
  event(gate: GateId, agent: string, e: AgentEvent): void;
  usage(gate: GateId, agent: string, summary: UsageSummary): Promise<void>;
}

export class StorySubagents {
  private spawned = 0;
  /** Each subagent from its spawn line until its usage and outcome are recorded. */
  private readonly jobs = new Set<Promise<void>>();
  private readonly runs = new Set<AgentRun>();
  /** The subagents that ended since the last settle (their phase's gate counts them). */
  private ended: Array<{ usage: UsageSummary; outcome: SubagentOutcome }> = [];
  /** Set while a failed parent's subagents are stopped: those still being prepared do not start. */
  private closed = false;

  constructor(
    private readonly env: StoryEnv,
    private readonly story: StoryDocument,
    private readonly worktreePath: () => string,
    private readonly timeoutMs: number,
    private readonly sink: SubagentSink,
  ) {}

  /** A spawn line of the story's agent or of one of its subagents (refused: depth 1). */
  spawn(parent: SubagentParent, line: AgentSpawnLine, fromSubagent: boolean): void {
    const max = this.env.config.subagentsMaxPerStory;
    const refusal = fromSubagent
      ? 'a subagent cannot start subagents (depth 1)'
      : this.env.signals.stopping
        ? 'the session is stopping'
        : this.env.signals.budgetExhausted
          ? 'the budget is used up'
          : this.spawned >= max
            ? `story ${this.story.story_id} already started ${this.spawned} of at most ${max} subagents (agent.subagents.maxPerStory)`
            : null;
    if (refusal) {
      const message = `subagent refused: ${refusal}; task: ${line.task.slice(0, 200)}`;
      noteInLog(parent.logPath, message);
      this.publish(parent.gate, 'wave:subagents', message);
      return;
    }
    const n = ++this.spawned;
    const job = this.launch(parent, `${parent.agent}-sub${n}`, n, line).catch((e) =>
      this.env.out.log(`story ${this.story.story_id}: subagent ${n}: ${(e as Error).message}`),
    );
    this.jobs.add(job);
    void job.finally(() => this.jobs.delete(job));
  }

  /**
   * Waits until every subagent started so far has ended and been recorded, and returns their
   * usage; when the parent did not succeed its subagents are stopped first (their work has no
   * phase to go into).
   */
  async settle(parentSucceeded: boolean): Promise<Array<{ usage: UsageSummary; outcome: SubagentOutcome }>> {
    if (!parentSucceeded) {
      this.closed = true;
      await Promise.all([...this.runs].map((r) => r.stop()));
    }
    while (this.jobs.size) await Promise.all([...this.jobs]);
    this.closed = false; // the next phase (a fix, a retry) may start subagents again
    const ended = this.ended;
    this.ended = [];
    return ended;
  }

  private async launch(parent: SubagentParent, agent: string, n: number, line: AgentSpawnLine): Promise<void> {
    const worktree = this.worktreePath();
    const storyId = this.story.story_id;
    let contextFile: string | null = null;
    try {
      contextFile = await this.pack(worktree, `${storyId}-sub${n}`, line.paths);
    } catch (e) {
      noteInLog(parent.logPath, `no context pack for subagent ${agent}: ${(e as Error).message}`);
    }
    if (this.closed || this.env.signals.stopping) {
      noteInLog(parent.logPath, `subagent ${agent} not started: its phase ended or the session is stopping`);
      return;
    }
    const promptFile = this.env.files.promptFile(storyId, `${parent.phase}-sub${n}`);
    SessionFiles.write(
      promptFile,
      [
        `# ${storyId}: subagent ${agent}`,
        '',
        `You are a helper of the agent working on story ${storyId} (${parent.phase} phase), in the same worktree.`,
        'Do only this task, then exit. You cannot start subagents yourself.',
        '',
        '## Task',
        line.task,
        '',
        '## Paths',
        ...(line.paths.length ? line.paths.map((p) => `- ${p}`) : ['- (none given)']),
        '',
        `The full story is in ${parent.storyFile}.`,
        '',
      ].join('\n'),
    );
    const logFile = parent.logPath.replace(/(\.log)?$/, `-sub${n}.log`);
    const startedAt = new Date().toISOString();
    const started = this.env.executor.runner.start({
      sessionId: this.env.sessionId,
      storyId,
      gate: parent.gate,
      phase: parent.phase,
      agentId: agent,
      worktreePath: worktree,
      storyFile: parent.storyFile,
      promptFile,
      preset: this.env.preset.preset,
      logFile,
      timeoutMs: this.timeoutMs,
      ...(contextFile ? { contextFile } : {}),
      subagentDepth: 1,
      env: { ...this.env.preset.env, ...this.env.agentEnv },
      onEvent: (e) => {
        if (e.type === 'spawn') this.spawn({ ...parent, logPath: logFile, agent }, e, true);
        else this.sink.event(parent.gate, agent, e);
      },
    });
    this.runs.add(started);
    noteInLog(
      parent.logPath,
      `subagent ${agent} started (pid ${started.pid ?? 'none'}, log ${logFile}): ${line.task.slice(0, 200)}`,
    );
    this.publish(parent.gate, `agent:${agent}`, `subagent ${agent} started: ${line.task.slice(0, 500)}`);
    let result: AgentRunResult;
    try {
      result = await started.done;
    } finally {
      this.runs.delete(started);
    }
    this.ended.push({
      usage: result.usage,
      outcome: {
        agent,
        task: line.task.slice(0, 500),
        status: result.status,
        startedAt,
        durationMs: result.durationMs,
        costUsd: result.usage.knownCostUsd,
      },
    });
    await this.sink.usage(parent.gate, agent, result.usage);
    this.writeOutcome(agent, line, result);
    noteInLog(
      parent.logPath,
      `subagent ${agent} ended: ${result.status}${result.failure ? ` (${result.failure.message})` : ''}`,
    );
    this.publish(parent.gate, `agent:${agent}`, `subagent ${agent} ended: ${result.status}`);
  }

  /** The subagent's narrower pack: the paths it was given and their links, written beside the story's. */
  private async pack(worktree: string, id: string, paths: string[]): Promise<string> {
    const index = await indexer.index(worktree);
    const pack = buildContextPack(index, {
      story: { story_id: id, domain: this.story.domain, files: { create: [], modify: paths } },
      domains: this.env.config.domains,
      budgetTokens: this.env.config.contextBudgetTokens,
    });
    const file = writeContextPack(worktree, pack);
    writeFileSync(file.replace(/\.json$/, '.md'), renderContextPackMarkdown(pack));
    return file;
  }

  private writeOutcome(agent: string, line: AgentSpawnLine, result: AgentRunResult): void {
    try {
      const dir = path.join(this.worktreePath(), '.wave', 'subagents');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(this.worktreePath(), '.wave', '.gitignore'), '*\n');
      writeFileSync(
        path.join(dir, `${agent}.json`),
        `${JSON.stringify(
          {
            agent,
            task: line.task,
            paths: line.paths,
            status: result.status,
            exit_code: result.exitCode,
            last_progress: result.lastProgress?.message ?? null,
            failure: result.failure?.message ?? null,
            cost_usd: result.usage.knownCostUsd,
          },
          null,
          2,
        )}\n`,
      );
    } catch {
      // The outcome file is for the parent's convenience; the gate log has the same.
    }
  }

  private publish(gate: GateId, source: string, message: string): void {
    void this.env.out.publish({
      session: this.env.sessionId,
      story: this.story.story_id,
      gate,
      source,
      type: 'progress',
      message,
    });
  }
}
