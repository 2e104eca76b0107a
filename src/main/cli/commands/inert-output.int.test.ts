import { describe, expect, it } from 'vitest';
import { embeddedLeadEnv, runWave, scenarioRunArgs, waveProcessSuite } from '../../../../test/orchestrator/child';

/*
 * Text from outside reaches the terminal inert: a story title and an agent's QA output full
 * of terminal escapes (clear screen, set window title, bell) are printed by `wave run`,
 * `wave prd show` and `wave status` with those bytes shown escaped, never sent.
 */

const suite = waveProcessSuite();
const NASTY = '\u001b[2J\u001b]0;pwned\u0007';
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('untrusted text is inert in CLI output', () => {
  it('wave run, prd show and status print no ESC or BEL from a story title or QA output', async () => {
    const s = suite.scenario({
      stories: [
        { id: 'T-1', wave: 1, domain: 'app', create: ['src/app/t1.ts'], extra: { title: `Login ${NASTY} page` } },
      ],
      config: {
        qa: {
          check: [
            process.execPath,
            '-e',
            `process.stdout.write(${JSON.stringify(`${NASTY} QA broke\n`)}); process.exit(1)`,
          ],
        },
        execution: { max_retries: 0, timeout_minutes: 1 },
      },
    });
    const env = await embeddedLeadEnv(suite);
    const run = await runWave(scenarioRunArgs(s), env);
    expect(run.stdout).toContain('T-1');
    expect(run.stdout + run.stderr).toContain('\\u001b]0;pwned\\u0007 QA broke');
    expect(run.stdout).not.toMatch(CONTROL);
    expect(run.stderr).not.toMatch(CONTROL);
    const sessionId = /Session (ses-[\w-]+)/.exec(run.stdout + run.stderr)![1]!;

    const show = await runWave(['prd', 'show', s.prdId], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('T-1  Login \\u001b[2J\\u001b]0;pwned\\u0007 page');
    expect(show.stdout).not.toMatch(CONTROL);

    const status = await runWave(['status', sessionId], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('escalated');
    expect(status.stdout).toContain('\\u001b[2J\\u001b]0;pwned\\u0007 QA broke');
    expect(status.stdout).not.toMatch(CONTROL);

    // --json stays parseable and gives the text back as it was.
    const json = await runWave(['prd', 'show', s.prdId, '--json'], env);
    expect(json.stdout).not.toMatch(CONTROL);
    expect(json.json.stories[0].title).toBe(`Login ${NASTY} page`);
  }, 180_000);
});
