import { describe, expect, it } from 'vitest';
import {
  embeddedLeadEnv,
  filesOn,
  runWave,
  scenarioRunArgs,
  waveProcessSuite,
} from '../../../../test/orchestrator/child';

/* `wave override-domain` and `wave approve-merge` as a lead uses them, after `wave run` ended or paused. */

const suite = waveProcessSuite();

describe('wave override-domain / approve-merge', () => {
  it('allows the listed paths with a reason and finishes the session; refuses without a reason', async () => {
    const s = suite.scenario({
      stories: [
        {
          id: 'X-1',
          wave: 1,
          domain: 'app',
          create: ['src/app/x1.ts'],
          testAgent: { write_outside: 'src/web/x1-stub.ts' },
        },
      ],
    });
    const env = await embeddedLeadEnv(suite);

    const run = await runWave(scenarioRunArgs(s, '--agent', 'command', '--json'), env);
    expect(run.code).toBe(1);
    const sessionId = run.json.session as string;
    expect(run.json.stories[0]).toMatchObject({ id: 'X-1', status: 'failed' });
    expect(run.json.stories[0].reason).toMatch(/outside its domain: src\/web\/x1-stub\.ts/);

    const noReason = await runWave(['override-domain', sessionId, 'X-1', '--json'], env);
    expect(noReason.code).toBe(2);
    expect(noReason.json.error.message).toMatch(/--reason is required/);

    const ok = await runWave(
      ['override-domain', sessionId, 'X-1', '--reason', 'the web stub is agreed with the web team', '--json'],
      env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/cli-lead allowed story X-1 to change src\/web\/x1-stub\.ts outside domain app/);
    expect(ok.json.override).toMatchObject({ paths: ['src/web/x1-stub.ts'], actor: 'cli-lead' });
    expect(ok.json.continued).toMatchObject({ session: sessionId, status: 'completed' });
    expect(filesOn(s.repo.path)).toContain('src/web/x1-stub.ts');
  }, 120_000);

  it('approve-merge lets a story parked before gate-7 merge and finishes the paused session', async () => {
    const s = suite.scenario({
      stories: [{ id: 'Y-1', wave: 1, domain: 'app', create: ['src/app/y1.ts'] }],
      config: { merge: { strategy: 'merge', requireApproval: true } },
    });
    const env = await embeddedLeadEnv(suite);

    const run = await runWave(scenarioRunArgs(s, '--agent', 'command', '--json'), env);
    expect(run.json.status).toBe('paused');
    expect(run.json.stories[0]).toMatchObject({ id: 'Y-1', status: 'blocked' });
    expect(run.json.reason).toMatch(/Waiting for merge approval of Y-1/);
    const onMain = () => filesOn(s.repo.path);
    expect(onMain()).not.toContain('src/app/y1.ts');

    const wrong = await runWave(['approve-merge', run.json.session, 'Y-1', '--sha', 'deadbeef', '--json'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.json.error.message).toMatch(/not the deadbeef you reviewed; review the branch again/);

    const ok = await runWave(['approve-merge', run.json.session, 'Y-1', '--comment', 'diff reviewed', '--json'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/cli-lead approved merging story Y-1 at [0-9a-f]{12}: diff reviewed/);
    expect(ok.json.approval).toMatchObject({ actor: 'cli-lead', comment: 'diff reviewed' });
    expect(ok.json.continued).toMatchObject({ status: 'completed' });
    expect(onMain()).toContain('src/app/y1.ts');
  }, 120_000);
});
