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

/** The one-letter mark of a file's change, as git prints it (A, M, D, R, C, T). */
export const DIFF_STATUS_LETTER: Record<DiffFile['status'], string> = {
  added: 'A',
  modified: 'M',
  deleted: 'D',
  renamed: 'R',
  copied: 'C',
  'type-changed': 'T',
};

/** A changed file's name, "old → new" for a rename or copy. */
export function diffFileName(f: Pick<DiffFile, 'path' | 'oldPath'>): string {
  return f.oldPath ? `${f.oldPath} → ${f.path}` : f.path;
}

/** Longest review comment, and most comments in one review. */
export const MAX_REVIEW_COMMENT_CHARS = 4000;
export const MAX_REVIEW_COMMENTS = 200;

/** Which side of a diff a line comment is on: a line of the branch (new) or a removed line (old). */
export const ReviewSide = z.enum(['new', 'old']);
export type ReviewSide = z.infer<typeof ReviewSide>;

/** A comment a lead writes: on a line (path and line), on a file (path, no line) or on the whole change (neither). */
export const ReviewCommentInput = z
  .object({
    path: z.string().min(1).max(4096).nullable(),
    line: z.number().int().positive().max(10_000_000).nullable(),
    side: ReviewSide.optional(),
    text: z.string().trim().min(1, 'a comment needs some text').max(MAX_REVIEW_COMMENT_CHARS),
  })
  .strict()
  .refine((c) => c.line === null || c.path !== null, { message: 'a line comment needs the path of its file' });
export type ReviewCommentInput = z.infer<typeof ReviewCommentInput>;

export const ReviewComment = z.object({
  /** Audit log id of the comment (queued) or "<round>:<n>" (written with a verdict). */
  id: z.string(),
  path: z.string().nullable(),
  line: z.number().int().nullable(),
  side: ReviewSide,
  text: z.string(),
  /** The commented line as it was in the reviewed commit (untrusted text); null for file and change comments. */
  code: z.string().nullable(),
  /** The commit the comment was written on. */
  headSha: z.string().nullable(),
  actor: z.string(),
  at: z.string(),
  /** Whether a later commit of the branch changed the commented line (file: the file); null when not known yet. */
  touched: z.boolean().nullable(),
});
export type ReviewComment = z.infer<typeof ReviewComment>;

export const ReviewRound = z.object({
  id: z.number().int(),
  verdict: z.enum(['changes_requested', 'approved']),
  actor: z.string(),
  at: z.string(),
  headSha: z.string(),
  summary: z.string().nullable(),
  comments: z.array(ReviewComment),
});
export type ReviewRound = z.infer<typeof ReviewRound>;

/** A story's review so far: the verdicts with their comments, newest first, and comments queued for its next attempt. */
export const ReviewThread = z.object({
  sessionId: z.string(),
  storyId: z.string(),
  /** The branch's head now (null before gate-0 made it). */
  headSha: z.string().nullable(),
  rounds: z.array(ReviewRound),
  queued: z.array(ReviewComment),
});
export type ReviewThread = z.infer<typeof ReviewThread>;
