import type { EventName, RequestName } from './contract';

/**
 * Plain name lists (no zod) so the sandboxed preload stays tiny. A compile-time check in
 * contract.test.ts keeps them equal to the contract's keys.
 */
export const REQUEST_NAMES = [
  'app.info',
  'app.snapshot',
  'app.echo',
  'settings.get',
  'settings.update',
  'session.list',
  'session.get',
  'session.start',
  'session.stop',
  'session.resume',
  'story.overrideDomain',
  'story.approveMerge',
  'story.diff',
  'story.review',
  'story.comment',
  'story.reviewThread',
  'story.context',
  'recovery.list',
  'events.deadLetters',
  'metrics.get',
  'gate.log',
  'gate.follow',
  'import.stage',
  'import.commit',
  'import.paths',
  'prd.list',
  'prd.get',
  'prd.contextForecast',
  'prd.approve',
  'prd.reject',
  'backups.list',
  'backups.restore',
  'fleet.workers',
  'fleet.drain',
] as const satisfies readonly RequestName[];
export const EVENT_NAMES = [
  'app.health',
  'settings.changed',
  'session.changed',
  'story.changed',
  'story.progress',
  'stop.progress',
  'notice',
  'metrics.tick',
  'gate.logAppended',
  'prd.changed',
  'recovery.changed',
  'fleet.changed',
] as const satisfies readonly EventName[];

/** IPC channel names, derived from request names; never built from anything else. */
export const requestChannel = (name: RequestName): string => `wave:req:${name}`;
export const EVENT_CHANNEL = 'wave:event';
