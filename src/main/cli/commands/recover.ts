import { RecoveryService, type InterruptedSession } from '../../core/checkpointer';
import type { CoreServices } from '../../core/services';
import { usageError, type CliCommand, type CliContext } from '../cli-types';
import { openCliCore } from '../core-runtime';

/** The `wave recover --list` document (also what `wave resume` prints per session). */
export interface RecoverListJson {
  interrupted: Array<{
    session: string;
    project: string;
    /** Why the session counts as interrupted. */
    reason: string;
    stories: Array<{ id: string; gate: string | null; status: string }>;
    last_checkpoint_at: string | null;
  }>;
}

export function toRecoverListJson(found: InterruptedSession[]): RecoverListJson {
  return {
    interrupted: found.map((s) => ({
      session: s.sessionId,
      project: s.projectId,
      reason: s.reason,
      stories: s.stories.map((st) => ({ id: st.storyId, gate: st.gate, status: st.status })),
      last_checkpoint_at: s.lastCheckpointAt ? s.lastCheckpointAt.toISOString() : null,
    })),
  };
}

function renderList(doc: RecoverListJson): string {
  if (doc.interrupted.length === 0) return 'No interrupted sessions: nothing needs recovering.';
  const lines: string[] = [];
  for (const s of doc.interrupted) {
    lines.push(`${s.session}  (project ${s.project}) — ${s.reason}`);
    lines.push(`  last checkpoint: ${s.last_checkpoint_at ?? 'none'}`);
    for (const st of s.stories) lines.push(`  ${st.id.padEnd(16)} ${st.status.padEnd(10)} ${st.gate ?? '-'}`);
    lines.push(
      `  resume with: wave resume ${s.session} [--strategy resume_from_last|resume_from_gate|restart|skip] [--gate gate-N]`,
    );
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

/** Opens the core services the way every recovery command does, with errors a person can act on. */
export function openRecoveryStore(ctx: CliContext): Promise<CoreServices> {
  return openCliCore(ctx, { log: 'always', locked: 'fail' });
}

export const recoverCommand: CliCommand = {
  name: 'recover',
  summary: 'List sessions interrupted by a crash or a killed process, with what each story was doing',
  usage: 'wave recover --list [--json]',
  help: [
    'A session is interrupted when it is running, stopping or paused but its owner process is gone',
    '(dead pid on this machine) or has not sent a heartbeat within its lease (15 s).',
    'With --json: {"interrupted":[{"session","project","reason","stories":[{"id","gate","status"}],"last_checkpoint_at"}]}.',
    'Continue one with: wave resume <session>.',
  ].join('\n'),
  options: {
    list: { type: 'boolean', short: 'l' },
  },
  async run(ctx, args) {
    if (args.positionals.length) {
      throw usageError(
        `wave recover takes no arguments; to continue a session use: wave resume ${args.positionals[0]}`,
        recoverCommand.usage,
      );
    }
    // Listing is the only action, so --list is accepted but not required.
    const core = await openRecoveryStore(ctx);
    try {
      const doc = toRecoverListJson(await new RecoveryService(core.store).findInterrupted());
      ctx.output(doc, () => renderList(doc));
      return 0;
    } finally {
      await core.close();
    }
  },
};
