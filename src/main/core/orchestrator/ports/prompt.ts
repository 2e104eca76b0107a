import type { StoryDocument } from '../../../../shared/stories';
import type { AgentPhase } from '../../executor';
import type { SessionConfig } from '../session-config';
import { SessionFiles } from '../session-files';
import { reviewPromptSection } from '../../review/review-feedback';

/** Writes the prompt of an agent phase (WAVE_PROMPT_FILE) and returns its path. */
export function writePrompt(
  files: SessionFiles,
  config: SessionConfig,
  s: StoryDocument,
  branch: string | null,
  phase: AgentPhase,
  feedbackFile: string | null,
  plan: string | null,
  /** The story's context pack as markdown (context/pack-file.ts), when one was built. */
  context: string | null = null,
): string {
  const lines = [
    `# ${s.story_id}: ${s.title}`,
    '',
    `Phase: ${phase}. You work in a git worktree on branch ${branch ?? '(story branch)'}; change only what this story needs.`,
    `Domain: ${s.domain}${Object.keys(config.domains).length ? ` (allowed paths: ${(config.domains[s.domain] ?? []).join(', ') || 'none'}; shared: ${(config.domains.SHARED ?? []).join(', ') || 'none'})` : ''}`,
    '',
    `As a ${s.objective?.as_a ?? '…'}, I want ${s.objective?.i_want ?? '…'}, so that ${s.objective?.so_that ?? '…'}.`,
    '',
    '## Acceptance criteria',
    ...(s.acceptance_criteria ?? []).map((a) => `- ${a.id}: ${a.description}`),
    '',
    '## Files',
    ...(s.files?.create ?? []).map((f) => `- create ${f}`),
    ...(s.files?.modify ?? []).map((f) => `- modify ${f}`),
    '',
    '## Stop and report (signal "blocked") when',
    ...(s.safety?.stop_conditions ?? []).map((c) => `- ${c}`),
    '',
    phase === 'plan'
      ? 'Write a short plan of the changes. Do not change files yet.'
      : phase === 'fix'
        ? `The project's QA commands failed. Their output is in ${feedbackFile ?? 'WAVE_FEEDBACK_FILE'}. Fix the cause and commit.`
        : feedbackFile
          ? reviewPromptSection(feedbackFile)
          : 'Implement the story and commit your changes on the branch.',
    ...(plan && phase !== 'plan' ? ['', '## Your plan', plan] : []),
    ...(context ? ['', context.trimEnd()] : []),
    '',
    `The full story is in ${files.storyFile(s.story_id)}.`,
    '',
  ];
  const file = files.promptFile(s.story_id, phase);
  SessionFiles.write(file, lines.join('\n'));
  return file;
}
