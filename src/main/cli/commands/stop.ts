import { createControlChannel } from '../../core/control';
import { ControlFiles } from '../../core/orchestrator/control-files';
import { requestSessionStop, type RemoteStopResult } from '../../core/orchestrator/remote-stop';
import type { CoreServices } from '../../core/services';
import { DirLock } from '../../store/dir-lock';
import { ACTIVE_SESSION_STATUSES } from '../../../shared/status';
import { cliLog } from '../cli-log';
import { CliError, orchestratorToCli, snakeCased, usageError, type CliCommand } from '../cli-types';

// What `wave stop` imports up front is kept light: next to a session that holds the embedded
// store it never loads the store or the rest of the core (a stop is timed from the command's start).

function toJson(r: RemoteStopResult) {
  return {
    session: r.sessionId,
    stopped_agents: r.stoppedAgents,
    alive_after: r.aliveAfter,
    status: r.status,
    handled_by: r.handledBy,
    message: r.message,
    ...(r.fleet
      ? {
          hosts: r.fleet.hosts.map((h) => ({
            ...snakeCased(h, ['host', 'stoppedAgents', 'aliveAfter', 'answered']),
            workers: h.workers.map((w) => snakeCased(w, ['name', 'pid', 'answered', 'stoppedAgents', 'aliveAfter'])),
          })),
          unanswered_hosts: r.fleet.unansweredHosts,
        }
      : {}),
  };
}

/** A process may still be alive: some are, or a fleet host did not say. */
const incomplete = (r: RemoteStopResult) => r.aliveAfter > 0 || (r.fleet?.unansweredHosts.length ?? 0) > 0;

export const stopCommand: CliCommand = {
  name: 'stop',
  summary: 'Emergency stop of a running session: every agent stopped, every story checkpointed',
  usage: 'wave stop [session] [--reason TEXT] [--json]',
  help: [
    'Marks the session stopping in the database first, then reaches the process running it at once on the control',
    'channel (a local socket in the data dir; Redis pub/sub when REDIS_URL is set; Postgres NOTIFY when DATABASE_URL is',
    'set), with the store and the data dir as the fallback; that process stops every agent process group,',
    'checkpoints each running story and ends the session `stopped`. If that process is gone, its leftover agents are',
    'stopped here. Without a session id, every running session is stopped.',
    'A fleet session (wave run --fleet): every wave worker holding story runs of it is told at once, stops its agents,',
    'verifies them dead and answers with its counts; the totals are shown per host, and a host that did not answer',
    'within 10 s is named.',
    '--json: {"session","stopped_agents","alive_after"}, for a fleet session also "hosts" (per host: stopped_agents,',
    'alive_after, answered, workers) and "unanswered_hosts" (with several sessions: {"sessions":[…]}).',
    'Exit code 1 when a process of the session is still alive afterwards or a fleet host did not answer.',
    'Continue later with: wave resume <session>.',
    'To stop everything on a repository without this command, create the kill switch file <repo>/.wave/STOP.',
  ].join('\n'),
  options: {
    reason: { type: 'string' },
  },
  async run(ctx, args) {
    const [sessionArg, ...extra] = args.positionals;
    if (extra.length) throw usageError('wave stop takes at most one session id.', stopCommand.usage);
    const reason = (args.values.reason as string | undefined)?.trim() || 'wave stop';
    const by = ctx.settings.actor;
    const dataDir = ctx.settings.dataDir;
    // Null when the embedded database is held by another process (the very one we want to
    // stop, most likely): go through the data dir and the control channel.
    const heldElsewhere = !ctx.settings.databaseUrl && DirLock.liveHolder(dataDir) !== null;
    const core: CoreServices | null = heldElsewhere
      ? null
      : await (await import('../core-runtime')).openCliCore(ctx, { locked: 'return-null' });
    const store = core?.store ?? null;
    // The embedded store held by the session's process: its channel still reaches it.
    const channel = core?.control() ?? createControlChannel(ctx.settings, cliLog(ctx));
    try {
      let ids: string[];
      if (sessionArg) ids = [sessionArg];
      else if (core) {
        ids = await core.repos.sessions.idsWithStatus(ACTIVE_SESSION_STATUSES);
      } else {
        ids = new ControlFiles(dataDir).registrations().map((r) => r.sessionId);
      }
      if (ids.length === 0)
        throw new CliError(
          'No session is running, so nothing was stopped. List the sessions with: wave status',
          1,
          'not_running',
        );
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
            redisUrl: ctx.settings.redisUrl,
            redisPrefix: ctx.settings.redisPrefix,
            channel,
            log: (l) => ctx.info(l),
          }).catch(orchestratorToCli),
        );
      }
      const json = results.length === 1 ? toJson(results[0]!) : { sessions: results.map(toJson) };
      ctx.output(json, () =>
        results
          .map(
            (r) =>
              `${r.message}${incomplete(r) ? ' Check them with ps and kill them by hand.' : ` Resume it with: wave resume ${r.sessionId}`}`,
          )
          .join('\n'),
      );
      return results.some(incomplete) ? 1 : 0;
    } finally {
      if (!core) await channel.close();
      await core?.close();
    }
  },
};
