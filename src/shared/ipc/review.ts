import { z } from 'zod';

/** What a story's changes are compared with: where the branch left the target, or the target's tip now. */
export const DiffAgainst = z.enum(['base', 'target']);
export type DiffAgainst = z.infer<typeof DiffAgainst>;

export const DiffFileStatus = z.enum(['added', 'modified', 'deleted', 'renamed', 'copied', 'type-changed']);
export type DiffFileStatus = z.infer<typeof DiffFileStatus>;

/** Largest patch of one file sent to the window; a larger one is named with its size and read with `wave diff`. */
export const MAX_FILE_PATCH_CHARS = 512 * 1024;
/** Lines of a file's hunks above which the window shows it collapsed, with an expand. */
export const COLLAPSE_FILE_LINES = 400;

export const DiffFile = z.object({
  path: z.string(),
  /** The path before a rename or copy. */
  oldPath: z.string().nullable(),
  status: DiffFileStatus,
  binary: z.boolean(),
  /** null for binary files. */
  additions: z.number().int().nullable(),
  deletions: z.number().int().nullable(),
  /** The file's unified diff as text (untrusted: shown as text, never as HTML); null when binary or truncated. */
  patch: z.string().nullable(),
  patchChars: z.number().int().nonnegative(),
  /** True when the patch was over MAX_FILE_PATCH_CHARS and left out. */
  truncated: z.boolean(),
});
export type DiffFile = z.infer<typeof DiffFile>;

export const StoryDiff = z.object({
  sessionId: z.string(),
  storyId: z.string(),
  against: DiffAgainst,
  /** The story branch, or null once it was merged and deleted. */
  branch: z.string().nullable(),
  targetBranch: z.string(),
  baseSha: z.string(),
  headSha: z.string(),
  ignoreWhitespace: z.boolean(),
  /** True while an agent may still be writing to the branch: the diff is what was committed so far. */
  live: z.boolean(),
  files: z.array(DiffFile),
  /** Something the lead should know about what is compared (e.g. the branch was merged and deleted). */
  note: z.string().nullable(),
});
export type StoryDiff = z.infer<typeof StoryDiff>;
