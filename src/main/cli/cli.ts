import { parseArgs } from 'node:util';
import { resolveSettings } from '../core/settings/wave-settings';
import { inertStream } from './inert-io';
import { StoreLockedError } from '../store/errors';
import { clientDbError } from '../store/db-errors';
import { storeOpenError } from './store-open';
import {
  CliError,
  EXIT_USAGE,
  usageError,
  type CliCommand,
  type CliCommandSource,
  type CliContext,
  type CliIo,
} from './cli-types';

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function makeContext(raw: CliIo, json: boolean, command?: string): CliContext {
  const io: CliIo = { ...raw, stdout: inertStream(raw.stdout), stderr: inertStream(raw.stderr) };
  return {
    ...io,
    json,
    command,
    settings: resolveSettings(io.env),
    output(data, human) {
      io.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human()}\n`);
    },
    info(line) {
      io.stderr.write(`${line}\n`);
    },
  };
}

export function renderHelp(commands: readonly CliCommand[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `wave ${version} — WAVE Control Center command line`,
    '',
    'Usage: wave <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --json        machine-readable output on stdout (one JSON document)',
    '  -h, --help    help for wave or for a command',
    '  --version     print the version',
    '',
    'Environment: WAVE_HOME (data dir, default ~/.wave), DATABASE_URL (Postgres server instead',
    'of embedded PGlite), REDIS_URL (Redis Streams instead of the in-process event bus).',
  ].join('\n');
}

function commandHelp(cmd: CliCommand): string {
  const opts = Object.entries(cmd.options ?? {}).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag}`;
  });
  // Every command also takes the global options: list them, so --help shows all it accepts.
  opts.push('  --json        machine-readable output on stdout (one JSON document)', '  -h, --help    this help');
  return [`Usage: ${cmd.usage}`, '', cmd.summary, ...(cmd.help ? ['', cmd.help] : []), '', 'Options:', ...opts].join(
    '\n',
  );
}

/** The command itself, importing its module first when it is registered lazily. */
export async function loadCommand(source: CliCommandSource): Promise<CliCommand> {
  if (!('load' in source)) return source;
  const cmd = await source.load();
  if (cmd.name !== source.name) throw new Error(`The command registered as "${source.name}" loaded as "${cmd.name}".`);
  return cmd;
}

/** Runs one CLI invocation and returns the exit code; never calls process.exit itself. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  commands: readonly CliCommandSource[],
  version: string,
): Promise<number> {
  const [first, ...rest] = argv;
  const wantsJson = argv.includes('--json');
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(`${renderHelp(await Promise.all(commands.map(loadCommand)), version)}\n`);
    return first === undefined ? EXIT_USAGE : 0;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(wantsJson ? `${JSON.stringify({ version })}\n` : `${version}\n`);
    return 0;
  }
  const source = commands.find((c) => c.name === first);
  if (!source) {
    const ctx = makeContext(io, wantsJson);
    return fail(ctx, usageError(`Unknown command "${first}". Run "wave --help" to list the commands.`));
  }
  const cmd = await loadCommand(source);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_OPTIONS, ...(cmd.options ?? {}) },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const ctx = makeContext(io, wantsJson);
    return fail(ctx, usageError(`${(e as Error).message}\n${commandHelp(cmd)}`));
  }
  const ctx = makeContext(io, parsed.values.json === true, cmd.name);
  if (parsed.values.help) {
    ctx.stdout.write(`${commandHelp(cmd)}\n`);
    return 0;
  }
  try {
    return await cmd.run(ctx, parsed as CliParsed);
  } catch (e) {
    return fail(ctx, e);
  }
}

type CliParsed = Parameters<CliCommand['run']>[1];

function fail(ctx: CliContext, e: unknown): number {
  // A held store is an expected state with its own message (holder, pid, what to do), not a bug;
  // a database error is told by its code, never with the SQL text and parameters drizzle adds.
  const db = e instanceof CliError ? null : clientDbError(e, `wave ${ctx.command ?? ''}`.trim());
  const cliErr =
    e instanceof CliError
      ? e
      : e instanceof StoreLockedError
        ? storeOpenError(e)
        : db
          ? new CliError(db.message, 1, db.code)
          : null;
  const message = cliErr ? cliErr.message : `Unexpected error: ${(e as Error)?.message ?? String(e)}`;
  const exitCode = cliErr ? cliErr.exitCode : 1;
  if (ctx.json) ctx.stdout.write(`${JSON.stringify({ error: { code: cliErr?.code ?? 'internal', message } })}\n`);
  else ctx.stderr.write(`wave: ${message}\n`);
  if (!cliErr && ctx.settings.debug) ctx.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  return exitCode;
}
