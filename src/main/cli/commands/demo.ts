import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDemoProject, DEMO_PRD_ID } from '../../core/demo/demo-project';
import { ensureProject } from '../../core/prd';
import { resolveSettings } from '../../core/settings/wave-settings';
import { CliError, usageError, type CliCommand } from '../cli-types';
import { cliLog } from '../core-runtime';
import { shellArg, waveCommand } from '../hint';
import { driveSession, loadProjectConfig, orchestratorToCli, ProgressRenderer, withCliRuntime } from './run';

export const demoCommand: CliCommand = {
  name: 'demo',
  summary:
    'Create a sample repository with 4 stories in 2 waves and run both with the built-in scripted agent (no LLM, no servers)',
  usage: 'wave demo [--dir D] [--json]',
  help: [
    'Creates <D>/repo (a git repository with wave.config.json), <D>/stories (4 stories in 2 waves and a PRD) and',
    '<D>/wave-home (the demo\'s own data dir: embedded database unless DATABASE_URL is set), approves the PRD as "demo"',
    'and runs it with the scripted test agent. One story fails QA once and is fixed by the agent (the fix loop).',
    'Without --dir a temporary folder is used. --json prints the session result plus {"dir","repo"}.',
  ].join('\n'),
  options: {
    dir: { type: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length) throw usageError('wave demo takes no positional arguments.', demoCommand.usage);
    const dir = args.values.dir
      ? path.resolve(ctx.cwd, String(args.values.dir))
      : mkdtempSync(path.join(os.tmpdir(), 'wave-demo-'));
    let demo;
    try {
      demo = createDemoProject(dir);
    } catch (e) {
      throw usageError((e as Error).message);
    }
    ctx.info(`Demo project in ${dir}`);
    const config = await loadProjectConfig(demo.repo);
    // The demo's own data dir: its settings are the command's with WAVE_HOME set to it.
    const settings = resolveSettings({ ...ctx.env, WAVE_HOME: demo.dataDir });
    return withCliRuntime(
      ctx,
      async (core) => {
        ctx.info(`Importing the demo's ${demo.storyIds.length} stories and its PRD, approving the PRD as "demo"…`);
        const project = await ensureProject(core.store, demo.repo, config);
        const report = await core.importer.importPaths([demo.storiesDir], {
          projectId: project.id,
          actor: 'demo',
          cwd: dir,
        });
        const invalid = report.files.filter((f) => f.status === 'invalid');
        if (invalid.length)
          throw new CliError(
            `The demo stories did not import: ${invalid.map((f) => `${f.file}: ${f.message}`).join('; ')}`,
            1,
            'internal',
          );
        // The approval covers the scripted agent the demo runs (not wave.config.json's preset).
        await core.prds.approve(DEMO_PRD_ID, {
          by: 'demo',
          comment: 'Approved by wave demo.',
          agentPreset: 'scripted',
        });
        const renderer = new ProgressRenderer(ctx.stderr, ctx.isTTY && !ctx.json);
        const orchestrator = await core.orchestrator(renderer, { log: cliLog(ctx) });
        try {
          const handle = await orchestrator
            .startSession({ prdId: DEMO_PRD_ID, agentPreset: 'scripted', concurrency: 2, budgetUsd: 1, actor: 'demo' })
            .catch(orchestratorToCli);
          ctx.info(
            `Session ${handle.sessionId}: ${demo.storyIds.length} stories in 2 waves, scripted agent, 2 at a time.`,
          );
          const code = await driveSession(
            { ...ctx, env: settings.env, settings },
            orchestrator,
            handle,
            renderer,
            'demo',
            { dir, repo: demo.repo },
          );
          if (!ctx.json) {
            ctx.info(
              [
                '',
                `See what was merged: git -C ${shellArg(demo.repo)} log --oneline --graph`,
                `See the session in the control center: WAVE_HOME=${shellArg(demo.dataDir)} ${waveCommand('serve')}`,
                `The demo's data (database, logs) is in ${demo.dataDir}; delete ${dir} when done.`,
              ].join('\n'),
            );
          }
          return code;
        } finally {
          renderer.end();
          await orchestrator.dispose();
        }
      },
      settings,
    );
  },
};
