import { createCoreServices, type CoreServices } from '../core/services';
import type { EventBus } from '../core/events';
import type { WaveSettings } from '../core/settings/wave-settings';
import { StoreLockedError } from '../store';
import { CliError, type CliContext } from './cli-types';
import { cliLog } from './cli-log';
import { cliLockRole, storeOpenError } from './store-open';

export { cliLog } from './cli-log';

export interface CliCoreOptions {
  /** Store and bus messages: 'always' on stderr, or 'debug' only with WAVE_DEBUG (default). */
  log?: 'always' | 'debug';
  /** Settings other than the command's (the demo runs on its own data dir). */
  settings?: WaveSettings;
  /**
   * When another process holds the embedded database: 'return-null', 'return-error' (the
   * StoreLockedError, which names the holder), or fail (default) with store_locked and the
   * lock's own message (holder, pid, what to do).
   */
  locked?: 'return-null' | 'return-error' | 'fail';
}

/** The core services of a CLI command (createCoreServices over the command's settings), with errors a person can act on. */
export async function openCliCore(
  ctx: CliContext,
  opts: CliCoreOptions & { locked: 'return-null' },
): Promise<CoreServices | null>;
export async function openCliCore(
  ctx: CliContext,
  opts: CliCoreOptions & { locked: 'return-error' },
): Promise<CoreServices | StoreLockedError>;
export async function openCliCore(ctx: CliContext, opts?: CliCoreOptions): Promise<CoreServices>;
export async function openCliCore(
  ctx: CliContext,
  opts: CliCoreOptions = {},
): Promise<CoreServices | StoreLockedError | null> {
  try {
    // The bus's messages are details in every command (WAVE_DEBUG), as they always were.
    return await createCoreServices(opts.settings ?? ctx.settings, {
      log: cliLog(ctx, opts.log),
      busLog: cliLog(ctx, 'debug'),
      lockRole: cliLockRole(ctx),
      progress: (l) => ctx.info(l),
    });
  } catch (e) {
    if (e instanceof StoreLockedError && opts.locked === 'return-null') return null;
    if (e instanceof StoreLockedError && opts.locked === 'return-error') return e;
    // A live holder's own sessions are not interrupted; the lead must stop it first (the message says how).
    throw storeOpenError(e);
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
export async function withCliCore<T>(
  ctx: CliContext,
  fn: (core: CoreServices) => Promise<T>,
  opts: CliCoreOptions = {},
): Promise<T> {
  const core = await openCliCore(ctx, opts);
  try {
    return await fn(core);
  } finally {
    await core.close().catch(() => undefined);
  }
}
