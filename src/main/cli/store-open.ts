import { StoreLockedError } from '../store/errors';
import { LOCK_ROLES } from '../store/errors';
import { CliError, type CliContext } from './cli-types';

/** Commands whose process runs a session, so the lock names it as one. */
const SESSION_COMMANDS = new Set(['run', 'resume', 'demo']);

/** How this CLI process names itself in the store lock, for whoever finds the store held. */
export function cliLockRole(ctx: Pick<CliContext, 'command'>): string {
  if (!ctx.command) return 'a wave command';
  return SESSION_COMMANDS.has(ctx.command) ? `${LOCK_ROLES.session} (wave ${ctx.command})` : `wave ${ctx.command}`;
}

/**
 * The CLI error for a store that did not open: a held lock is `store_locked` with the lock's
 * own message (it names the holder, its pid and what to do); anything else `store_unavailable`.
 */
export function storeOpenError(e: unknown): CliError {
  if (e instanceof StoreLockedError) return new CliError(e.message, 1, 'store_locked');
  if (e instanceof CliError) return e;
  return new CliError(`Cannot open the WAVE database: ${(e as Error)?.message ?? String(e)}`, 1, 'store_unavailable');
}
