import { createCoreServices, type CoreServices } from '../core/services';
import type { EventBus } from '../core/events';
import type { WaveSettings } from '../core/settings/wave-settings';
import { StoreLockedError } from '../store';
import { CliError, type CliContext } from './cli-types';

export interface CliCoreOptions {
  /** Store and bus messages: 'always' on stderr, or 'debug' only with WAVE_DEBUG (default). */
  log?: 'always' | 'debug';
  /** Settings other than the command's (the demo runs on its own data dir). */
  settings?: WaveSettings;
  /** What to do when another process holds the embedded database: 'return-null' or 'fail' (default, StoreLockedError as it is). */
  locked?: 'return-null' | 'fail';
}

export function cliLog(ctx: CliContext, mode: 'always' | 'debug' = 'debug'): (line: string) => void {
  return mode === 'always'
    ? (l) => ctx.info(l)
    : (l) => {
        if (ctx.settings.debug) ctx.info(l);
      };
}

/** The core services of a CLI command (createCoreServices over the command's settings), with errors a person can act on. */
export async function openCliCore(ctx: CliContext, opts: CliCoreOptions & { locked: 'return-null' }): Promise<CoreServices | null>;
export async function openCliCore(ctx: CliContext, opts?: CliCoreOptions): Promise<CoreServices>;
export async function openCliCore(ctx: CliContext, opts: CliCoreOptions = {}): Promise<CoreServices | null> {
  try {
    // The bus's messages are details in every command (WAVE_DEBUG), as they always were.
    return await createCoreServices(opts.settings ?? ctx.settings, { log: cliLog(ctx, opts.log), busLog: cliLog(ctx, 'debug') });
  } catch (e) {
    if (e instanceof StoreLockedError) {
      if (opts.locked === 'return-null') return null;
      // The holder is alive, so its own sessions are not interrupted; the lead must stop it first.
      if (opts.locked === 'fail') throw new CliError(e.message, 1, 'store_locked');
    }
    throw new CliError(`Cannot open the WAVE database: ${(e as Error).message}`, 1, 'store_unavailable');
  }
}

/** The event bus of the command's core, or a CliError saying it could not start. */
export async function cliBus(core: CoreServices): Promise<EventBus> {
  try {
    return await core.bus();
  } catch (e) {
    throw new CliError(`Cannot start the event bus: ${(e as Error).message}`, 1, 'bus_unavailable');
  }
}

/** Opens the core services, runs `fn`, always closes them. */
export async function withCliCore<T>(ctx: CliContext, fn: (core: CoreServices) => Promise<T>, opts: CliCoreOptions = {}): Promise<T> {
  const core = await openCliCore(ctx, opts);
  try {
    return await fn(core);
  } finally {
    await core.close().catch(() => undefined);
  }
}
