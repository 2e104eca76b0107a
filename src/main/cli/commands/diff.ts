import { OrchestratorError } from '../../core/orchestrator';
import { storyDiff } from '../../core/review/story-diff';
import {
  DIFF_STATUS_LETTER,
  DiffAgainst,
  diffFileName,
  type DiffFile,
  type StoryDiff,
} from '../../../shared/ipc/review';
import { inertText } from '../../../shared/text/inert';
import { CliError, usageError, type CliCommand } from '../cli-types';
import { openRecoveryStore } from './recover';

function fileName(f: DiffFile): string {
  return inertText(diffFileName(f));
}

function renderStat(d: StoryDiff): string {
  const lines = d.files.map((f) => {
    const counts = f.binary ? 'binary' : `+${f.additions ?? 0} -${f.deletions ?? 0}`;
    return `${DIFF_STATUS_LETTER[f.status]} ${fileName(f)}  ${counts}`;
  });
  const add = d.files.reduce((s, f) => s + (f.additions ?? 0), 0);
  const del = d.files.reduce((s, f) => s + (f.deletions ?? 0), 0);
  return [...lines, `${d.files.length} file${d.files.length === 1 ? '' : 's'} changed, +${add} -${del}`].join('\n');
}

function header(d: StoryDiff): string {
  const what = d.against === 'target' ? `the tip of ${d.targetBranch}` : `where it left ${d.targetBranch}`;
  return [
    `Story ${d.storyId} of session ${d.sessionId}: ${d.branch ?? '(merged)'} at ${d.headSha.slice(0, 12)} against ${what} (${d.baseSha.slice(0, 12)})${d.ignoreWhitespace ? ', whitespace ignored' : ''}.`,
    ...(d.live ? ['The story is still running: this is what was committed so far.'] : []),
    ...(d.note ? [d.note] : []),
  ].join('\n');
}

/** `wave diff`: a story's changes, as a patch, a stat or JSON. Terminal escapes in the diff are shown escaped, never run. */
export const diffCommand: CliCommand = {
  name: 'diff',
  summary: "Show a story's changes: its branch against where it left the target, or against the target's tip",
  usage: 'wave diff <session> <story> [--against base|target] [--stat] [--ignore-whitespace] [--json]',
  help: [
    '--against base (default) shows what the story changes, as a pull request would; --against target shows how',
    "the story's branch differs from the target branch now. --stat lists files with +/- counts.",
    'With --json: {"files":[{"path","old_path","status","additions","deletions","binary"}],"head_sha","base_sha","against","branch","target"}.',
    'Control characters and terminal escapes in file names and contents are printed escaped (\\u001b), never interpreted.',
  ].join('\n'),
  options: {
    against: { type: 'string' },
    stat: { type: 'boolean' },
    'ignore-whitespace': { type: 'boolean', short: 'w' },
  },
  async run(ctx, args) {
    const [sessionId, storyId, ...extra] = args.positionals;
    if (!sessionId || !storyId || extra.length)
      throw usageError('wave diff takes a session id and a story id.', diffCommand.usage);
    const against = DiffAgainst.safeParse(args.values.against ?? 'base');
    if (!against.success)
      throw usageError(
        `--against must be base or target, not ${JSON.stringify(args.values.against)}.`,
        diffCommand.usage,
      );
    const core = await openRecoveryStore(ctx);
    try {
      const d = await storyDiff(core.store, {
        sessionId,
        storyId,
        against: against.data,
        ignoreWhitespace: args.values['ignore-whitespace'] === true,
        maxPatchChars: Number.POSITIVE_INFINITY,
      }).catch((e: unknown) => {
        if (e instanceof OrchestratorError) throw new CliError(e.message, 1, e.code);
        throw e;
      });
      const json = {
        files: d.files.map((f) => ({
          path: f.path,
          old_path: f.oldPath,
          status: f.status,
          additions: f.additions,
          deletions: f.deletions,
          binary: f.binary,
        })),
        head_sha: d.headSha,
        base_sha: d.baseSha,
        against: d.against,
        branch: d.branch,
        target: d.targetBranch,
      };
      ctx.output(json, () => {
        if (args.values.stat === true) return `${header(d)}\n\n${renderStat(d)}`;
        const body = d.files
          .map((f) => (f.patch === null ? `Binary file ${fileName(f)} differs\n` : inertText(f.patch)))
          .join('');
        return `${header(d)}\n\n${body.trimEnd() || '(no changes)'}`;
      });
      return 0;
    } finally {
      await core.close();
    }
  },
};
