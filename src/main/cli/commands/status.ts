import { ControlFiles } from '../../core/orchestrator/control-files';
import { toSessionOutcome, type SessionOutcome } from '../../core/orchestrator/session-outcome';
import type { SessionSummary } from '../../../shared/ipc';
import { StoreLockedError } from '../../store';
import type { CoreServices } from '../../core/services';
import { CliError, usageError, type CliCommand } from '../cli-types';
import { openCliCore } from '../core-runtime';
import { waveCommand } from '../hint';
import { renderOutcome } from './outcome-text';

interface SessionListItem {
  session: string;
  status: string;
  project: string;
  prd: string | null;
  cost_usd: number;
  budget_usd: number | null;
  created_at: string;
  ended_at: string | null;
  reason: string | null;
}

function toListItem(s: SessionSummary): SessionListItem {
  return {
    session: s.id,
    status: s.status,
    project: s.projectName,
    prd: s.prdId,
    cost_usd: s.costUsd,
    budget_usd: s.budgetUsd,
    created_at: s.createdAt,
    ended_at: s.endedAt,
    reason: s.statusReason,
  };
}

/** What to paste to start a first session: one `wave run` per imported PRD, else the demo. */
async function firstRunHints(core: CoreServices): Promise<string[]> {
  const hints: string[] = [];
  for (const p of await core.prds.list()) {
    const project = p.projectId ? await core.repos.projects.byId(p.projectId) : null;
    if (project) hints.push(waveCommand('run', '--project', project.repoPath, '--prd', p.id));
  }
  return hints.length ? hints : [waveCommand('demo')];
}

function renderList(items: SessionListItem[], note: string | null, startHints: string[] = []): string {
  if (items.length === 0) {
    const how = startHints.length
      ? `Start one with:\n${startHints.map((h) => `  ${h}`).join('\n')}`
      : 'Start one with wave run (see wave run --help).';
    return `No sessions yet.${note ? ` ${note}` : ''} ${how}`;
  }
  return [
    ...(note ? [note, ''] : []),
    ...items.map(
      (i) =>
        `${i.session.padEnd(30)} ${i.status.padEnd(10)} ${i.project.padEnd(16)} $${i.cost_usd.toFixed(4).padStart(9)}  ${i.created_at}${i.reason ? `  ${i.reason}` : ''}`,
    ),
  ].join('\n');
}

/** "wave serve (process 123)": who holds the store, as the lock file says. */
function holderName(e: StoreLockedError): string {
  return `${e.holder.role ?? 'another process'} (process ${e.holder.pid})`;
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'Show the sessions, or one session with every story, its gate, attempts, cost and merge SHA',
  usage: 'wave status [session] [--json]',
  help: [
    'Without a session: every session, newest first ({"sessions":[…]} with --json).',
    'With a session: {"session","status","cost_usd","budget_usd","reason","stories":[{"id","status","gate","attempts","cost_usd","merge_sha","reason"}]}.',
    'While a session runs on the embedded database in another process, its live view is read from the data dir instead.',
  ].join('\n'),
  async run(ctx, args) {
    const [sessionId, ...extra] = args.positionals;
    if (extra.length) throw usageError('wave status takes at most one session id.', statusCommand.usage);
    const dataDir = ctx.settings.dataDir;
    // The lock error when the embedded database is held by another process (session run, serve, window).
    const core = await openCliCore(ctx, { locked: 'return-error' });
    if (core instanceof StoreLockedError) {
      const store = core;
      // The embedded database is held by the process running the session: read what it publishes.
      const control = new ControlFiles(dataDir);
      const regs = control.registrations();
      if (sessionId) {
        const view = control.readView<{ outcome: SessionOutcome; writtenAt: string }>(sessionId);
        if (!view)
          throw new CliError(
            `Session ${sessionId} is not running in ${holderName(store)}, which holds the database in ${dataDir}. Try again when that process ends.`,
            1,
            'store_locked',
          );
        ctx.output(
          { ...view.outcome, live: true, as_of: view.writtenAt },
          () => `${renderOutcome(view.outcome)}\n(as of ${view.writtenAt}, from the running process)`,
        );
        return 0;
      }
      const items = regs
        .map((r) => control.readView<{ outcome: SessionOutcome }>(r.sessionId)?.outcome)
        .filter((o): o is SessionOutcome => !!o)
        .map((o) => ({
          session: o.session,
          status: o.status,
          project: '',
          prd: null,
          cost_usd: o.cost_usd,
          budget_usd: o.budget_usd,
          created_at: '',
          ended_at: null,
          reason: o.reason,
        }));
      const note = `The database in ${dataDir} is held by ${holderName(store)}; only sessions running in it are listed.`;
      ctx.output(
        { sessions: items, partial: true, held_by: { role: store.holder.role ?? null, pid: store.holder.pid } },
        () => renderList(items, note),
      );
      return 0;
    }
    try {
      const reader = core.views;
      if (sessionId) {
        const view = await reader.sessionView(sessionId, null, () => null);
        if (!view)
          throw new CliError(
            `Session ${sessionId} does not exist. List the sessions with: wave status`,
            1,
            'not_found',
          );
        const outcome = toSessionOutcome(view);
        ctx.output(outcome, () => renderOutcome(outcome));
        return 0;
      }
      const items = (await reader.listSummaries(() => null)).map(toListItem);
      const next = items.length ? [] : await firstRunHints(core);
      ctx.output({ sessions: items, ...(next.length ? { next } : {}) }, () => renderList(items, null, next));
      return 0;
    } finally {
      await core.close();
    }
  },
};
