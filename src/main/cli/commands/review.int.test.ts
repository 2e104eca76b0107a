import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { embeddedLeadEnv, runWave, scenarioRunArgs, waveProcessSuite } from '../../../../test/orchestrator/child';

/* `wave review` as a lead uses it on a story parked before gate-7 (merge.requireApproval). */

const suite = waveProcessSuite();

describe('wave review', () => {
  it('sends a story back to gate-2 with a line comment the agent fixes, then approves and merges the reviewed commit', async () => {
    const content = 'export const a = 1;\nexport const total = BUG;\nexport const c = 3;\n';
    const s = suite.scenario({
      stories: [
        {
          id: 'R-1',
          wave: 1,
          domain: 'app',
          create: ['src/app/r1.ts'],
          testAgent: { content: { 'src/app/r1.ts': content }, review_fix: { from: 'BUG', to: 'a + c' } },
        },
      ],
      config: { merge: { strategy: 'merge', requireApproval: true } },
    });
    const env = await embeddedLeadEnv(suite);
    const git = (args: string[]) => execFileSync('git', args, { cwd: s.repo.path, encoding: 'utf8' }).trim();

    const run = await runWave(scenarioRunArgs(s, '--agent', 'command', '--json'), env);
    expect(run.json.status).toBe('paused');
    const session = String(run.json.session);
    const branch = git(['for-each-ref', '--format=%(refname)', 'refs/heads/wave/']);
    expect(branch).toMatch(/\/R-1$/);
    const reviewed = git(['rev-parse', branch]);

    const usage = await runWave(['review', session, 'R-1', '--json'], env);
    expect(usage.code).toBe(2);
    expect(usage.json.error.message).toMatch(/exactly one of --approve and --request-changes/);
    const badComment = await runWave(
      ['review', session, 'R-1', '--request-changes', '--comment', 'src/app/r1.ts', '--json'],
      env,
    );
    expect(badComment.code).toBe(2);
    expect(badComment.json.error.message).toMatch(/<path>:<line>:<text>/);
    const noLine = await runWave(
      ['review', session, 'R-1', '--request-changes', '--comment', 'src/app/r1.ts:40:too far', '--json'],
      env,
    );
    expect(noLine.code).toBe(1);
    expect(noLine.json.error.message).toMatch(/src\/app\/r1.ts:40 is not a line of the story's branch/);

    const sent = await runWave(
      [
        'review',
        session,
        'R-1',
        '--request-changes',
        '--comment',
        'src/app/r1.ts:2:total must be a + c, not a placeholder',
        '--message',
        'one fix',
        '--sha',
        reviewed.slice(0, 12),
        '--json',
      ],
      env,
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toMatch(
      /cli-lead requested changes to story R-1 at [0-9a-f]{12} with 1 comment; it goes back to gate-2/,
    );
    expect(sent.json.review).toMatchObject({
      verdict: 'changes_requested',
      headSha: reviewed,
      summary: 'one fix',
      comments: [
        {
          path: 'src/app/r1.ts',
          line: 2,
          code: 'export const total = BUG;',
          text: 'total must be a + c, not a placeholder',
        },
      ],
    });
    // The new attempt fixed the commented line, passed the gates and waits for an approval again, on a new commit.
    expect(sent.json.continued).toMatchObject({ status: 'paused' });
    const fixed = git(['rev-parse', branch]);
    expect(fixed).not.toBe(reviewed);
    expect(git(['show', `${fixed}:src/app/r1.ts`])).toBe(
      'export const a = 1;\nexport const total = a + c;\nexport const c = 3;',
    );
    // The reviewed commit is kept.
    expect(git(['rev-parse', `refs/wave/reviewed/${session}/R-1/${sent.json.review.id}`])).toBe(reviewed);
    const logs = execFileSync(
      'grep',
      ['-rl', 'fixed src/app/r1.ts:2 as the review asked: total must be a + c', env.WAVE_HOME],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(logs.some((f) => f.endsWith('.log'))).toBe(true);
    const feedback = execFileSync('find', [env.WAVE_HOME, '-name', 'review-*.md'], { encoding: 'utf8' }).trim();
    expect(readFileSync(feedback, 'utf8')).toContain(
      '## Comment 1: src/app/r1.ts, line 2\n\nCommented code:\n\n```\nexport const total = BUG;\n```\n\ntotal must be a + c, not a placeholder',
    );

    // Approving the commit reviewed before is refused: the branch moved.
    const stale = await runWave(['review', session, 'R-1', '--approve', '--sha', reviewed, '--json'], env);
    expect(stale.code).toBe(1);
    expect(stale.json.error.message).toMatch(/not the [0-9a-f]{12} you reviewed/);
    const ok = await runWave(
      ['review', session, 'R-1', '--approve', '--sha', fixed, '--message', 'fixed as asked', '--json'],
      env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.approval).toMatchObject({ actor: 'cli-lead', headSha: fixed, comment: 'fixed as asked' });
    expect(ok.json.continued).toMatchObject({ status: 'completed' });
    expect(git(['show', 'main:src/app/r1.ts'])).toBe(
      'export const a = 1;\nexport const total = a + c;\nexport const c = 3;',
    );
    expect(git(['merge-base', '--is-ancestor', fixed, 'main']) === '').toBe(true);
  }, 180_000);
});
