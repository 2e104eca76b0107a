import type { CliContext } from './cli-types';

/** Where a command's core logs: always on stderr, or only with WAVE_DEBUG (default). Light: no core module. */
export function cliLog(ctx: CliContext, mode: 'always' | 'debug' = 'debug'): (line: string) => void {
  return mode === 'always'
    ? (l) => ctx.info(l)
    : (l) => {
        if (ctx.settings.debug) ctx.info(l);
      };
}
