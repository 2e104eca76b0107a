import { continueSession } from '../../src/main/core/orchestrator';
import { CliError, EXIT_USAGE, type CliCommand } from '../../src/main/cli/cli-types';
import { renderOutcome } from '../../src/main/cli/commands/outcome-text';
import { orchestratorToCli, ProgressRenderer, withCliRuntime } from '../../src/main/cli/commands/run';

/** Test stand-in for `wave resume <session>` (owned by another helper): continueSession from the CLI. */
export const continueCommand: CliCommand = {
  name: 'continue',
  summary: 'Continue a stopped or interrupted session (test harness for continueSession)',
  usage: 'continue <session> [--json]',
  async run(ctx, args) {
    const [sessionId] = args.positionals;
    if (!sessionId) throw new CliError('continue <session>', EXIT_USAGE, 'usage');
    return withCliRuntime(ctx, async (core) => {
      const renderer = new ProgressRenderer(ctx.stderr, false);
      try {
        const outcome = await continueSession({ core, sessionId, hub: renderer, actor: 'test' }).catch(
          orchestratorToCli,
        );
        ctx.output(outcome, () => renderOutcome(outcome));
        return outcome.status === 'completed' ? 0 : 1;
      } finally {
        renderer.end();
      }
    });
  },
};
