import type { EventName, RequestName } from './contract';

/**
 * Plain name lists (no zod) so the sandboxed preload stays tiny. A compile-time check in
 * contract.test.ts keeps them equal to the contract's keys.
 */
export const REQUEST_NAMES = ['app.info', 'app.snapshot', 'app.echo'] as const satisfies readonly RequestName[];
export const EVENT_NAMES = ['app.health'] as const satisfies readonly EventName[];

/** IPC channel names, derived from request names; never built from anything else. */
export const requestChannel = (name: RequestName): string => `wave:req:${name}`;
export const EVENT_CHANNEL = 'wave:event';
