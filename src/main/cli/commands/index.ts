import type { CliCommand } from '../cli-types';
import { importCommand } from './import';
import { initCommand } from './init';
import { prdCommand } from './prd';
import { serveCommand } from './serve';
import { signalCommand } from './signal';
import { validateCommand } from './validate';

/** Every `wave` command, in the order `wave --help` lists them. */
export const commands: readonly CliCommand[] = [initCommand, validateCommand, importCommand, prdCommand, signalCommand, serveCommand];
