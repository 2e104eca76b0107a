import os from 'node:os';
import {
  runsOnFleet,
  RECOVERY_STRATEGIES,
  RecoveryError,
  resumeSession,
  type RecoveryStrategy,
  type SessionRecoveryResult,
} from '../../core/checkpointer';
import type { CoreServices } from '../../core/services';
import { CliError, EXIT_USAGE, parseBudgetOption, usageError, type CliCommand, type CliContext } from '../cli-types';
import { openRecoveryStore } from './recover';

/** The `wave resume --json` document. */
export interface ResumeJson {
  session: string;
  project: string;
  strategy: RecoveryStrategy;
  gate: string | null;
  status: string;
  stories: Array<{
    id: string;
    action: string;
    status: string;
    next_gate: string | null;
    from_checkpoint: { id: number; gate: string; at: string } | null;
    note: string | null;
    error: string | null;
  }>;
  problems: Array<{ session: string; story: string; gate: string; checkpoint: number; reason: string }>;
  /** Set by whatever continued the session after recovery (the orchestrator), if anything. */
  continued?: unknown;
}

export function toResumeJson(r: SessionRecoveryResult): ResumeJson {
  return {
    session: r.sessionId,
    project: r.projectId,
    strategy: r.strategy,
    gate: r.gate,
    status: r.sessionStatusAfter,
    stories: r.stories.map((p) => ({
      id: p.storyId,
      action: p.action,
      status: p.statusAfter,
      next_gate: p.nextGate,
      from_checkpoint: p.checkpoint
        ? { id: p.checkpoint.id, gate: p.checkpoint.gate, at: p.checkpoint.createdAt.toISOString() }
        : null,
      note: p.note ?? null,
      error: p.error ?? null,
    })),
    problems: r.problems.map((p) => ({
      session: p.sessionId,
      story: p.storyId,
      gate: p.gate,
      checkpoint: p.checkpointId,
      reason: p.reason,
    })),
  };
}

export function renderPlan(doc: ResumeJson): string {
  const lines = [
    `Session ${doc.session} recovered with ${doc.strategy}${doc.gate ? ` ${doc.gate}` : ''}; session is now ${doc.status}.`,
  ];
  for (const s of doc.stories) {
    const what =
      s.action === 'resume'
        ? `runs ${s.next_gate} next${s.from_checkpoint ? ` from checkpoint ${s.from_checkpoint.id} (${s.from_checkpoint.gate})` : ' fresh'}`
        : s.action === 'restart'
          ? `restarts at ${s.next_gate}`
          : s.action === 'skip'
            ? 'skipped (cancelled)'
            : s.action === 'complete'
              ? 'every gate had passed'
              : s.action === 'error'
                ? `NOT recovered: ${s.error}`
                : `left as ${s.status}`;
    lines.push(
      `  ${s.id.padEnd(16)} ${s.action.padEnd(9)} ${what}${s.note && s.action !== 'unchanged' ? ` — ${s.note}` : ''}`,
    );
  }
  if (doc.problems.length)
    lines.push(
      '',
      `${doc.problems.length} corrupted checkpoint(s); those stories were stopped and the others recovered.`,
    );
  return lines.join('\n');
}

export interface ResumeCommandDeps {
  /**
   * Continues the recovered session (the orchestrator). Called after the recovery committed,
   * with the per-story plan; its result is added to the output as `continued`. Without it,
   * `wave resume` only prepares the session and prints the plan.
   */
  continueSession?: (
    core: CoreServices,
    result: SessionRecoveryResult,
    ctx: CliContext,
    budgetUsd: number | null | undefined,
  ) => Promise<unknown>;
  /** Whether the orchestrator will take the session over in this process (sets claimAs). */
  claimsSession?: boolean;
  /** Continues a fleet session with this process as its coordinator (no recovery reset); its exit code. */
  resumeFleet?: (
    core: CoreServices,
    sessionId: string,
    ctx: CliContext,
    budgetUsd: number | null | undefined,
  ) => Promise<number>;
}

/** `wave resume`; the lead wires the orchestrator in through `deps`. */
export function createResumeCommand(deps: ResumeCommandDeps = {}): CliCommand {
  const command: CliCommand = {
    name: 'resume',
    summary: 'Recover an interrupted or stopped session with a strategy and continue it',
    usage:
      'wave resume <session> [--strategy resume_from_last|resume_from_gate|restart|skip] [--gate gate-N] [--story <id>]… [--include-failed] [--budget USD] [--force] [--json]',
    help: [
      'Strategies, applied to every unfinished story (queued, running, stopped, blocked):',
      '  resume_from_last   continue at the gate each story was in, from its last checkpoint (default)',
      '  resume_from_gate   run again from --gate gate-N, with the state checkpointed after the gate before it',
      '  restart            reset the story runs and start at gate-0; their history stays for the audit',
      '  skip               mark the stories cancelled',
      '--story limits the strategy to those stories; --include-failed also takes failed and escalated ones;',
      "--budget USD (or none) is the session's budget from now on: raise it to continue a session paused by its budget.",
      '--force recovers even if the owner process looks alive. Exit code 1 if some story could not be recovered',
      '(e.g. a corrupted checkpoint: the output names its session, story and gate).',
      'A fleet session (wave run --fleet) continues on the fleet with this process as its coordinator, until it',
      'ends: stopped story runs wait for a worker again, and each worker resumes a story from its last checkpoint',
      '(no strategy applies; DATABASE_URL and REDIS_URL as for wave run --fleet).',
    ].join('\n'),
    options: {
      strategy: { type: 'string', short: 's' },
      gate: { type: 'string', short: 'g' },
      story: { type: 'string', multiple: true },
      'include-failed': { type: 'boolean' },
      budget: { type: 'string' },
      force: { type: 'boolean' },
    },
    async run(ctx, args) {
      const [sessionId, ...extra] = args.positionals;
      if (!sessionId || extra.length) {
        throw usageError(
          'wave resume takes exactly one session id (list them with: wave recover --list).',
          command.usage,
        );
      }
      const strategy =
        (args.values.strategy as string | undefined) ?? (args.values.gate ? 'resume_from_gate' : 'resume_from_last');
      if (!RECOVERY_STRATEGIES.includes(strategy as RecoveryStrategy)) {
        throw usageError(`Unknown strategy "${strategy}"; use one of ${RECOVERY_STRATEGIES.join(', ')}.`);
      }
      const gate = args.values.gate as string | undefined;
      if (strategy === 'resume_from_gate' && !gate)
        throw usageError('--strategy resume_from_gate needs --gate gate-N.');
      if (strategy !== 'resume_from_gate' && gate)
        throw usageError(`--gate only goes with --strategy resume_from_gate, not with ${strategy}.`);

      const budgetUsd = parseBudgetOption(args.values.budget);
      const core = await openRecoveryStore(ctx);
      try {
        const row = deps.resumeFleet ? await core.repos.sessions.byId(sessionId) : null;
        if (row && deps.resumeFleet && runsOnFleet(row.config)) {
          if (args.values.strategy || gate || args.values.story || args.values['include-failed'])
            throw usageError(
              `Session ${sessionId} runs on the fleet: its workers resume each story from its last checkpoint, so --strategy, --gate, --story and --include-failed do not apply.`,
            );
          return await deps.resumeFleet(core, sessionId, ctx, budgetUsd);
        }
        let result: SessionRecoveryResult;
        try {
          result = await resumeSession(core.store, sessionId, {
            strategy: strategy as RecoveryStrategy,
            ...(gate ? { gate } : {}),
            ...(args.values.story ? { onlyStories: args.values.story as string[] } : {}),
            includeFailed: args.values['include-failed'] === true,
            force: args.values.force === true,
            actor: `cli:${ctx.settings.actor}@${os.hostname()}`,
            ...(deps.claimsSession ? { claimAs: { pid: process.pid, host: os.hostname() } } : {}),
          });
        } catch (e) {
          if (e instanceof RecoveryError)
            throw new CliError(e.message, e.code === 'bad_request' ? EXIT_USAGE : 1, e.code);
          throw e;
        }
        const doc = toResumeJson(result);
        if (deps.continueSession) doc.continued = await deps.continueSession(core, result, ctx, budgetUsd);
        ctx.output(doc, () => renderPlan(doc));
        return result.stories.some((s) => s.action === 'error') ? 1 : 0;
      } finally {
        await core.close();
      }
    },
  };
  return command;
}

export const resumeCommand: CliCommand = createResumeCommand();
