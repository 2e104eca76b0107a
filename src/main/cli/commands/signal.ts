import { hostname } from 'node:os';
import {
  EVENT_TYPES,
  EventTooLargeError,
  InvalidEventError,
  isWaveEventType,
  SIGNALS,
  type EventDraft,
} from '../../../shared/events';
import { EventBusUnavailableError, publishRemote } from '../../core/events';
import { CliError, EXIT_USAGE, usageError, type CliCommand } from '../cli-types';

const SHORTHANDS = SIGNALS as readonly string[];

/**
 * `wave signal`: publishes one event into a running session's event stream from another
 * process or machine (an agent running elsewhere, a script, CI). Needs the session's Redis.
 */
export const signalCommand: CliCommand = {
  name: 'signal',
  summary: 'Publish an event (blocked, error, complete, progress, …) to a running session through Redis',
  usage: 'wave signal <type> --session <id> [--story <id>] [--gate <gate>] [--message <text>] [--data <json>] [--json]',
  options: {
    session: { type: 'string' },
    story: { type: 'string' },
    gate: { type: 'string' },
    message: { type: 'string', short: 'm' },
    data: { type: 'string' },
  },
  help: [
    `<type> is an event type (${EVENT_TYPES.join(', ')})`,
    `or a signal shorthand: ${SHORTHANDS.join(', ')} (= type "signal" with that signal).`,
    "--data is a JSON object of the type's own fields, e.g. --data '{\"pct\":40}'.",
    'Environment: REDIS_URL (required: the Redis of the running session), WAVE_REDIS_PREFIX (key prefix, default "wave:").',
    'Examples:',
    '  wave signal blocked --session S1 --story AUTH-001 --message "needs the staging API key"',
    '  wave signal progress --session S1 --story AUTH-001 --gate gate-2 --data \'{"message":"half way","pct":50}\'',
  ].join('\n'),
  async run(ctx, args) {
    const [typeArg, ...extra] = args.positionals;
    if (!typeArg || extra.length) throw usageError('wave signal takes exactly one event type.', signalCommand.usage);
    const session = args.values.session;
    if (typeof session !== 'string' || !session)
      throw usageError('--session <id> is required: the id of the session to signal.');
    const isShorthand = SHORTHANDS.includes(typeArg);
    if (!isShorthand && !isWaveEventType(typeArg)) {
      throw usageError(`Unknown event type "${typeArg}". Use one of: ${[...SHORTHANDS, ...EVENT_TYPES].join(', ')}.`);
    }
    const data = parseData(args.values.data);
    const draft = {
      ...data,
      type: isShorthand ? 'signal' : typeArg,
      ...(isShorthand ? { signal: typeArg } : {}),
      session,
      story:
        typeof args.values.story === 'string' ? args.values.story : ((data.story as string | null | undefined) ?? null),
      ...(typeof args.values.gate === 'string' ? { gate: args.values.gate } : {}),
      ...(typeof args.values.message === 'string' ? { message: args.values.message } : {}),
      source: `cli:${hostname()}`,
    } as EventDraft;

    const redisUrl = ctx.settings.redisUrl;
    if (!redisUrl) {
      throw new CliError(
        'wave signal publishes through the Redis of the running session, but REDIS_URL is not set. ' +
          'Set REDIS_URL to the server `wave run` uses (e.g. REDIS_URL=redis://127.0.0.1:6379) and retry.',
        1,
        'redis_required',
      );
    }
    try {
      const ack = await publishRemote({ redisUrl, keyPrefix: ctx.settings.redisPrefix, source: 'cli' }, draft);
      const label = ack.type === 'signal' ? `signal ${(draft as { signal: string }).signal}` : ack.type;
      ctx.output(
        { published: ack },
        () =>
          `Published ${label} to session ${ack.session}${ack.story ? ` story ${ack.story}` : ''} (seq ${ack.seq}, id ${ack.id}).`,
      );
      return 0;
    } catch (e) {
      if (e instanceof InvalidEventError || e instanceof EventTooLargeError)
        throw new CliError(`${e.message} Nothing was published.`, EXIT_USAGE, e.code);
      if (e instanceof EventBusUnavailableError) throw new CliError(e.message, 1, e.code);
      throw e;
    }
  },
};

function parseData(raw: unknown): Record<string, unknown> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(String(raw));
  } catch (e) {
    throw usageError(`--data is not valid JSON (${(e as Error).message}). Pass an object, e.g. --data '{"pct":40}'.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError(`--data must be a JSON object of the event's fields, e.g. --data '{"pct":40}'.`);
  }
  return value as Record<string, unknown>;
}
