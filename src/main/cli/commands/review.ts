import { requestChanges, reviewApprovalComment } from '../../core/review/review-feedback';
import { usageError, type CliCommand } from '../cli-types';
import { approveMergeThenContinue, decideThenContinue, reviewedSha, sessionAndStory } from './decisions';
import { ReviewCommentInput } from '../../../shared/ipc/review';

const USAGE =
  'wave review <session> <story> (--approve | --request-changes) [--comment <path>:<line>:<text>]… [--message "<text>"] [--sha <commit>] [--force] [--json]';

/**
 * One --comment: "<path>:<line>:<text>" on a line of the branch, "<path>::<text>" on a file.
 * The path ends at the first colon (a path holding a colon cannot be commented from here).
 */
export function parseCommentArg(arg: string): ReviewCommentInput {
  const m = /^([^:]+):(\d*):([\s\S]*)$/.exec(arg);
  if (!m)
    throw usageError(
      `--comment ${JSON.stringify(arg)}: write <path>:<line>:<text> (a line) or <path>::<text> (a file).`,
      USAGE,
    );
  const parsed = ReviewCommentInput.safeParse({
    path: m[1]!.trim(),
    line: m[2] ? Number(m[2]) : null,
    side: 'new',
    text: m[3]!,
  });
  if (!parsed.success)
    throw usageError(`--comment ${JSON.stringify(arg)}: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
  return parsed.data;
}

/** `wave review`: approve a story's merge, or send it back to gate-2 with line comments, then continue the session. */
export const reviewCommand: CliCommand = {
  name: 'review',
  summary: "Approve a story's merge or request changes with line comments, and continue the session",
  usage: USAGE,
  help: [
    'Review first with wave diff <session> <story>. --request-changes sends the story back to gate-2 as a new',
    'attempt: its develop phase starts from the reviewed commit and gets every comment (file, line, the commented',
    'code, your text) in its feedback file (WAVE_FEEDBACK_FILE) and prompt, with any comments queued in the window.',
    '--comment <path>:<line>:<text> comments a line of the branch, <path>::<text> a file, --message the whole',
    'change; repeat --comment for more. --approve approves merging a story that waits at gate-7 (merge.requireApproval),',
    'bound to the commit it waits with. --sha, the commit you reviewed, makes either refused if the branch moved.',
    'Who decided, the commit and the comments go to the audit log; the session then continues in this process,',
    'as with wave resume. --force resumes even if the owner process looks alive.',
  ].join('\n'),
  options: {
    approve: { type: 'boolean' },
    'request-changes': { type: 'boolean' },
    comment: { type: 'string', short: 'c', multiple: true },
    message: { type: 'string', short: 'm' },
    sha: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(ctx, args) {
    const [sessionId, storyId] = sessionAndStory(args, USAGE, 'review');
    const approve = args.values.approve === true;
    const changes = args.values['request-changes'] === true;
    if (approve === changes) throw usageError('Give exactly one of --approve and --request-changes.', USAGE);
    const raw = args.values.comment;
    const comments = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((c) => parseCommentArg(String(c)));
    const message = String(args.values.message ?? '').trim();
    const headSha = reviewedSha(args);
    const force = args.values.force === true;
    if (approve) {
      const comment = reviewApprovalComment(message, comments);
      return approveMergeThenContinue(ctx, { sessionId, storyId, comment, headSha, force });
    }
    if (comments.length === 0 && !message)
      throw usageError('Say what to change: --comment <path>:<line>:<text> or --message "<text>".', USAGE);
    return decideThenContinue(ctx, sessionId, {
      key: 'review',
      force,
      perStory: { [storyId]: { strategy: 'resume_from_gate', gate: 'gate-2' } },
      record: (store, actor) =>
        requestChanges(store, {
          sessionId,
          storyId,
          actor,
          comments,
          ...(message ? { summary: message } : {}),
          ...(headSha ? { headSha } : {}),
        }),
      said: (r, actor) =>
        `${actor} requested changes to story ${storyId} at ${r.headSha.slice(0, 12)} with ${r.comments.length} comment${r.comments.length === 1 ? '' : 's'}; it goes back to gate-2`,
    });
  },
};
