import type { CliCommand } from '../cli-types';
import { serveCommand } from './serve';

/** Every `wave` command, in the order `wave --help` lists them. */
export const commands: readonly CliCommand[] = [serveCommand];
