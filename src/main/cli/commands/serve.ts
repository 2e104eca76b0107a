import path from 'node:path';
import { openAppCore } from '../../core/open-app-core';
import { MAX_BRIDGE_CONNECTIONS } from '../../server/bridge-guard';
import { startBridgeServer } from '../../server/bridge-server';
import { LOCK_ROLES } from '../../store/errors';
import { CliError, usageError, type CliCommand } from '../cli-types';
import { packageRoot, packageVersion } from '../version';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the core headless and serve the control center to a browser on 127.0.0.1',
  usage: 'wave serve [--port N] [--static DIR] [--json]',
  help: [
    'Prints a URL such as http://127.0.0.1:PORT/?token=…; open it in a browser on this machine. Ctrl+C stops it.',
    '',
    'The token is a random secret made when this process starts: whoever has the URL can act as the lead',
    '(start runs, approve PRDs, press STOP), so do not share or paste it anywhere. It is valid until this',
    'wave serve stops; each start makes a new one (open the new URL). Without it the page answers 401.',
    `It listens on 127.0.0.1 only, takes at most ${MAX_BRIDGE_CONNECTIONS} browser connections, rate-limits each token, and`,
    'imports by path only from inside the project folder (drop other files on the page instead).',
  ].join('\n'),
  options: {
    port: { type: 'string', short: 'p' },
    static: { type: 'string' },
  },
  async run(ctx, args) {
    const portText = (args.values.port as string | undefined) ?? ctx.settings.port ?? '0';
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw usageError(`--port must be a whole number from 0 to 65535 (0 picks a free port); got "${portText}".`);
    }
    const staticDir =
      (args.values.static as string | undefined) ??
      ctx.settings.rendererDir ??
      path.join(packageRoot() ?? ctx.cwd, 'out', 'renderer');
    const dataDir = ctx.settings.dataDir;
    const log = (line: string) => ctx.stderr.write(`${line}\n`);
    // A held store surfaces as store_locked naming its holder (see runCli).
    const core = await openAppCore({ version: packageVersion(), settings: ctx.settings, log, role: LOCK_ROLES.serve });
    let server;
    try {
      server = await startBridgeServer({ core, staticDir, port, log });
    } catch (e) {
      await core.dispose();
      throw new CliError((e as Error).message, 1, 'serve_failed');
    }
    const health = await core.health();
    ctx.output(
      {
        url: server.url,
        port: server.port,
        pid: process.pid,
        dataDir,
        store: health.store.kind,
        events: health.events.kind,
      },
      () =>
        [
          `WAVE Control Center is serving at ${server.url}`,
          `  data dir: ${dataDir} · store: ${health.store.kind} · events: ${health.events.kind} (${health.events.reason})`,
          '  Open the URL in a browser on this machine. Press Ctrl+C to stop.',
        ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    ctx.info('wave serve: shutting down…');
    await server.close();
    await core.dispose();
    return 0;
  },
};
