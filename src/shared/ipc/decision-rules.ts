/**
 * The rules of a lead's decisions about a story (domain override, merge approval), shared by
 * the contract, the core and the window. Plain values, no zod: the renderer imports them.
 */

/** Session statuses in which a process drives the session: its stories cannot be decided on under it. */
export const DRIVEN_SESSION_STATUSES: ReadonlySet<string> = new Set(['created', 'running', 'stopping']);

/** An override's reason says why the out-of-domain changes are acceptable: at least this long. */
export const MIN_OVERRIDE_REASON_CHARS = 10;

/** Longest reason or comment a decision keeps. */
export const MAX_DECISION_TEXT_CHARS = 2000;

/** More out-of-domain paths than a person reviews one by one (and than the window lists): widen the domain instead. */
export const MAX_OVERRIDE_PATHS = 200;

/** A commit id as a lead gives it: 7 to 64 lowercase hex characters. */
export const COMMIT_ID = /^[0-9a-f]{7,64}$/;
