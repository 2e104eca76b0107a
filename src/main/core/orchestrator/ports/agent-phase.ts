import { existsSync } from 'node:fs';
import type { StoryDocument } from '../../../../shared/stories';
import type { GateId, StoryRun } from '../../../store';
import { combineUsage, type AgentEvent, type UsageSummary } from '../../executor';
import { prepareStoryContext, type StoryContext } from '../../context/story-context';
import type { AgentPhaseResult, AgentPort } from '../gates/types';
import { SessionFiles } from '../session-files';
import { noteInLog, type StoryEnv } from '../story-env';
import { writePrompt } from './prompt';
import { StorySubagents } from './subagents';

/** The result of an agent phase that did not start its agent. */
function notStarted(logPath: string, why: string): AgentPhaseResult {
  noteInLog(logPath, `agent not started: ${why}`);
  const now = new Date().toISOString();
  return {
    status: 'stopped',
    exitCode: null,
    signal: null,
    startedAt: now,
    endedAt: now,
    durationMs: 0,
    logFile: logPath,
    usage: combineUsage([]),
    signals: [],
    failure: { kind: 'stopped', message: why },
    leftoverProcesses: 0,
    invalidEvents: 0,
  };
}

/**
 * Runs one agent phase of a story: writes its prompt, runs the agent in the story's worktree,
 * forwards its progress and signals, and writes its token usage as soon as the phase ends
 * (money spent counts even if the gate never records).
 */
export function agentPort(
  env: StoryEnv,
  story: StoryDocument,
  run: () => StoryRun,
  worktreePath: () => string,
  timeoutMs: number,
): AgentPort {
  const storyId = story.story_id;

  /** An event of the story's agent, or of one of its subagents (`agent` is then the subagent's name). */
  function onEvent(gate: GateId, e: AgentEvent, agent = run().agent): void {
    const r = run();
    if (e.type === 'spawn') return; // handled by the subagents
    if (e.type === 'progress') {
      env.out.progressed(r.id, storyId, { message: e.message.slice(0, 500), pct: e.pct ?? null });
    }
    const base = { session: env.sessionId, story: storyId, gate, source: `agent:${agent}` };
    if (e.type === 'progress')
      void env.out.publish({
        ...base,
        type: 'progress',
        message: e.message,
        ...(e.pct !== undefined ? { pct: e.pct } : {}),
      });
    else if (e.type === 'signal')
      void env.out.publish({ ...base, type: 'signal', signal: e.signal, ...(e.message ? { message: e.message } : {}) });
    else {
      void env.out.publish({
        ...base,
        type: 'usage',
        model: e.model,
        input_tokens: e.input_tokens,
        output_tokens: e.output_tokens,
        agent,
        ...(e.cache_read_tokens !== undefined ? { cache_read_tokens: e.cache_read_tokens } : {}),
        ...(e.cache_write_tokens !== undefined ? { cache_write_tokens: e.cache_write_tokens } : {}),
        ...(e.cost_usd !== undefined ? { cost_usd: e.cost_usd } : {}),
      });
    }
  }

  async function recordUsage(gate: GateId, summary: UsageSummary, agent = run().agent): Promise<void> {
    if (summary.models.length === 0) return;
    const r = run();
    await env.repo.addUsage(
      summary.models.map((m) => ({
        sessionId: env.sessionId,
        storyRunId: r.id,
        storyId,
        gate,
        agent,
        model: m.model,
        inputTokens: m.inputTokens,
        outputTokens: m.outputTokens,
        cacheReadTokens: m.cacheReadTokens,
        cacheWriteTokens: m.cacheWriteTokens,
        costUsd: m.costUsd ?? 0,
      })),
    );
    for (const w of summary.warnings) env.out.log(`story ${storyId} ${gate}: ${w}`);
    env.signals.addCost(summary.knownCostUsd);
  }

  /**
   * The story's context pack for this phase, written into its worktree and recorded with the
   * gate run; the preset prepares the worktree (claude-code: its permission settings). A pack
   * that cannot be built is noted in the gate log and the phase runs without one.
   */
  async function context(gate: GateId, gateRunId: number, logPath: string): Promise<StoryContext | null> {
    const cwd = worktreePath();
    let ctx: StoryContext | null = null;
    try {
      ctx = await prepareStoryContext({
        worktreePath: cwd,
        story,
        domains: env.config.domains,
        budgetTokens: env.config.contextBudgetTokens,
        gate,
      });
      const p = ctx.pack;
      await env.repo.addContextPack({
        gateRunId,
        sessionId: env.sessionId,
        storyRunId: run().id,
        storyId,
        gate,
        tree: p.tree,
        fileCount: p.files.length,
        totalTokens: p.total_tokens,
        budgetTokens: p.budget_tokens,
        repoTokens: p.repo_tokens,
        leftOut: p.left_out.length,
        files: p.files,
      });
      noteInLog(
        logPath,
        `context pack ${ctx.file}: ${p.files.length} files, ${p.total_tokens} of ${p.budget_tokens} tokens (repository ${p.repo_tokens})`,
      );
    } catch (e) {
      noteInLog(logPath, `no context pack for ${storyId}: ${(e as Error).message}`);
    }
    try {
      const notes = (await env.preset.preset.prepare?.({ worktreePath: cwd, editRules: ctx?.editRules ?? null })) ?? [];
      for (const n of notes) noteInLog(logPath, n);
    } catch (e) {
      noteInLog(
        logPath,
        `the ${env.preset.preset.name} preset could not prepare the worktree: ${(e as Error).message}`,
      );
    }
    return ctx;
  }

  const subagents = new StorySubagents(env, story, worktreePath, timeoutMs, {
    event: (gate, agent, e) => onEvent(gate, e, agent),
    usage: (gate, agent, summary) => recordUsage(gate, summary, agent),
  });

  return {
    async run(gate, phase, logPath, feedbackFile, plan, gateRunId): Promise<AgentPhaseResult> {
      const pack = await context(gate, gateRunId, logPath);
      // A STOP that came while the pack was built: no agent starts after it (the stop waits
      // for this phase to end, and an agent started now would never be stopped).
      if (env.signals.stopping) return notStarted(logPath, 'the session is stopping');
      const promptFile = writePrompt(
        env.files,
        env.config,
        story,
        run().branch ?? null,
        phase,
        feedbackFile,
        plan,
        pack?.markdown ?? null,
      );
      const storyFile = env.files.storyFile(storyId);
      if (!existsSync(storyFile)) SessionFiles.write(storyFile, `${JSON.stringify(story, null, 2)}\n`);
      const result = await env.executor.runner.run({
        sessionId: env.sessionId,
        storyId,
        gate,
        phase,
        agentId: run().agent,
        worktreePath: worktreePath(),
        storyFile,
        promptFile,
        ...(feedbackFile ? { feedbackFile } : {}),
        ...(pack ? { contextFile: pack.file } : {}),
        preset: env.preset.preset,
        logFile: logPath,
        timeoutMs,
        env: { ...env.preset.env, ...env.agentEnv },
        onEvent: (e) =>
          e.type === 'spawn'
            ? subagents.spawn({ gate, phase, logPath, storyFile, agent: run().agent }, e, false)
            : onEvent(gate, e),
      });
      await recordUsage(gate, result.usage);
      // The phase ends when the subagents its agent started have ended (stopped if it failed);
      // their usage is the phase's too, so the gate and the story show what it cost in all.
      const children = await subagents.settle(result.status === 'succeeded');
      if (children.length === 0) return result;
      return {
        ...result,
        usage: combineUsage([result.usage, ...children.map((c) => c.usage)]),
        subagents: children.map((c) => c.outcome),
      };
    },
  };
}
