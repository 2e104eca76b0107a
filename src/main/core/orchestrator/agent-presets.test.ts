import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findDemoQaCheck, findScriptedAgent, resolveAgentPreset } from './agent-presets';

describe('the scripted agent preset', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is found in a packaged app: electron-builder ships it where findScriptedAgent looks', () => {
    const config = parse(readFileSync('electron-builder.yml', 'utf8')) as {
      extraResources: Array<{ from: string; to: string }>;
    };
    const shipped = config.extraResources.find((r) => r.from.endsWith('scripted-agent.mjs'));
    expect(shipped, 'electron-builder.yml must ship the scripted agent as an extra resource').toBeDefined();
    expect(existsSync(shipped!.from)).toBe(true);

    // A resources folder laid out as electron-builder would write it, with the repository copy out of reach.
    const resources = mkdtempSync(join(tmpdir(), 'wave-resources-'));
    dirs.push(resources);
    mkdirSync(join(resources, 'agents'));
    writeFileSync(join(resources, shipped!.to), readFileSync(shipped!.from));
    expect(findScriptedAgent({}, resources)).toBe(join(resources, shipped!.to));

    // wave demo's QA check ships beside it.
    const check = config.extraResources.find((r) => r.from.endsWith('qa-check.mjs'));
    expect(check, 'electron-builder.yml must ship the demo QA check beside the scripted agent').toBeDefined();
    expect(findDemoQaCheck({}, resources)).toBeNull();
    writeFileSync(join(resources, check!.to), readFileSync(check!.from));
    expect(findDemoQaCheck({}, resources)).toBe(join(resources, check!.to));
  });

  it('prefers WAVE_SCRIPTED_AGENT, and says what to set when the agent is nowhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wave-agent-'));
    dirs.push(dir);
    const mine = join(dir, 'my-agent.mjs');
    writeFileSync(mine, '');
    expect(findScriptedAgent({ WAVE_SCRIPTED_AGENT: mine }, '/nonexistent')).toBe(mine);
    expect(findScriptedAgent({ WAVE_SCRIPTED_AGENT: join(dir, 'missing.mjs') })).toBeNull();
    expect(() => resolveAgentPreset('scripted', null, { WAVE_SCRIPTED_AGENT: join(dir, 'missing.mjs') })).toThrow(
      /Set WAVE_SCRIPTED_AGENT/,
    );
  });
});
