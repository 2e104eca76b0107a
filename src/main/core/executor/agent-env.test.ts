import { describe, expect, it } from 'vitest';
import { buildChildEnv, describeGrant, grantProblem } from './agent-env';

const parent = {
  PATH: '/usr/bin',
  HOME: '/home/lead',
  LC_ALL: 'C.UTF-8',
  ANTHROPIC_API_KEY: 'sk-ant',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  AWS_REGION: 'eu-west-1',
  GITHUB_TOKEN: 'ghp',
  DATABASE_URL: 'postgres://db',
  REDIS_URL: 'redis://r',
  WAVE_HOME: '/data',
};

describe('buildChildEnv', () => {
  it('gives a claude-code agent the base and its documented names; AWS only when Bedrock is switched on', () => {
    const direct = buildChildEnv({ parent, grant: { pass: [], set: {} } }, { WAVE_STORY_ID: 'S-1' }, 'claude-code');
    expect(direct.names).toEqual(['ANTHROPIC_API_KEY', 'HOME', 'LC_ALL', 'PATH', 'WAVE_STORY_ID']);
    const bedrock = buildChildEnv(
      { parent: { ...parent, CLAUDE_CODE_USE_BEDROCK: '1' }, grant: { pass: [], set: {} } },
      {},
      'claude-code',
    );
    expect(bedrock.env).toMatchObject({
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: 'eu-west-1',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
    });
    expect(bedrock.env.GITHUB_TOKEN).toBeUndefined();
  });

  it('commands get the grants but not the preset names; DATABASE_URL, REDIS_URL and WAVE_* are never granted', () => {
    const grant = {
      pass: ['GITHUB_TOKEN', 'DATABASE_URL', 'WAVE_HOME'],
      set: { NODE_ENV: 'test', REDIS_URL: 'redis://evil', WAVE_GATE: 'x' },
    };
    const cmd = buildChildEnv({ parent, grant }, { WAVE_SESSION_ID: 'ses-1' });
    expect(cmd.env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/lead',
      LC_ALL: 'C.UTF-8',
      GITHUB_TOKEN: 'ghp',
      NODE_ENV: 'test',
      WAVE_SESSION_ID: 'ses-1',
    });
    expect(describeGrant('command', grant)).toMatchObject({ preset: [], pass: ['GITHUB_TOKEN'], set: ['NODE_ENV'] });
    expect(grantProblem('wave_home')).toMatch(/never given to agents/);
    expect(grantProblem('A-B')).toMatch(/not an environment variable name/);
    expect(grantProblem('NPM_TOKEN')).toBeNull();
  });
});
