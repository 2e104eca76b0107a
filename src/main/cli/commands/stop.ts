import { inArray } from 'drizzle-orm';
import { ACTIVE_SESSION_STATUSES } from '../../../shared/status';
import { ControlFiles, requestSessionStop, type RemoteStopResult } from '../../core/orchestrator';
import { openStore, resolveDataDir, sessions, StoreLockedError, type Store } from '../../store';
import { CliError, EXIT_USAGE, type CliCommand } from '../cli-types';
import { cliActor } from './import';
import { orchestratorToCli } from './run';

function toJson(r: RemoteStopResult) {
  return { session: r.sessionId, stopped_agents: r.stoppedAgents, alive_after: r.aliveAfter, status: r.status, handled_by: r.handledBy, message: r.message };
}

export const stopCommand: CliCommand = {
  name: 'stop',
  summary: 'Emergency stop of a running session: every agent stopped, every story checkpointed',
  usage: 'wave stop [session] [--reason TEXT] [--json]',
  help: [
    'Marks the session stopping in the database first, then reaches the process running it (through Redis when',
    'REDIS_URL is set, and through the store or the data dir otherwise); that process stops every agent process group,',
    'checkpoints each running story and ends the session `stopped`. If that process is gone, its leftover agents are',
    'stopped here. Without a session id, every running session is stopped.',
    '--json: {"session","stopped_agents","alive_after"} (with several sessions: {"sessions":[…]}).',
    'Exit code 1 when a process of the session is still alive afterwards. Continue later with: wave resume <session>.',
    'To stop everything on a repository without this command, create the kill switch file <repo>/.wave/STOP.',
  ].join('\n'),
  options: {
    reason: { type: 'string' },
  },
  async run(ctx, args) {
    const [sessionArg, ...extra] = args.positionals;
    if (extra.length) throw new CliError(`wave stop takes at most one session id.\nUsage: ${stopCommand.usage}`, EXIT_USAGE, 'usage');
    const reason = (args.values.reason as string | undefined)?.trim() || 'wave stop';
    const by = cliActor(ctx.env);
    const dataDir = resolveDataDir(ctx.env);
    let store: Store | null = null;
    try {
      store = await openStore({ dataDir, databaseUrl: ctx.env.DATABASE_URL || undefined, env: ctx.env, log: (l) => ctx.env.WAVE_DEBUG && ctx.info(l) });
    } catch (e) {
      // The embedded database is held by the very process we want to stop: go through the data dir.
      if (!(e instanceof StoreLockedError)) throw new CliError(`Cannot open the WAVE database: ${(e as Error).message}`, 1, 'store_unavailable');
    }
    try {
      let ids: string[];
      if (sessionArg) ids = [sessionArg];
      else if (store) {
        ids = (await store.db.select({ id: sessions.id }).from(sessions).where(inArray(sessions.status, [...ACTIVE_SESSION_STATUSES]))).map((r) => r.id);
      } else {
        ids = new ControlFiles(dataDir).registrations().map((r) => r.sessionId);
      }
      if (ids.length === 0) throw new CliError('No session is running, so nothing was stopped. List the sessions with: wave status', 1, 'not_running');
      const results: RemoteStopResult[] = [];
      for (const sessionId of ids) {
        ctx.info(`Stopping session ${sessionId}…`);
        results.push(
          await requestSessionStop({
            store,
            dataDir,
            sessionId,
            reason,
            by,
            redisUrl: ctx.env.REDIS_URL || undefined,
            redisPrefix: ctx.env.WAVE_REDIS_PREFIX || undefined,
            log: (l) => ctx.info(l),
          }).catch(orchestratorToCli),
        );
      }
      const json = results.length === 1 ? toJson(results[0]!) : { sessions: results.map(toJson) };
      ctx.output(json, () => results.map((r) => `${r.message}${r.aliveAfter > 0 ? ' Check them with ps and kill them by hand.' : ` Resume it with: wave resume ${r.sessionId}`}`).join('\n'));
      return results.some((r) => r.aliveAfter > 0) ? 1 : 0;
    } finally {
      await store?.close();
    }
  },
};
