/** Bounds a lead can set, checked alike by the window's forms, the request contract, the CLI and the settings store. */

/** Stories of a session that run side by side (each with its own worktree and agent). */
export const MAX_STORIES_IN_PARALLEL = 64;

/** A whole number of stories in parallel, or the reason it is not one. */
export function storiesInParallelProblem(n: number): string | null {
  return Number.isInteger(n) && n >= 1 && n <= MAX_STORIES_IN_PARALLEL
    ? null
    : `give a whole number from 1 to ${MAX_STORIES_IN_PARALLEL}`;
}
