/** Every `secreview` subcommand, in the order `secreview --help` lists them. */
import type { CliCommand } from '../types';

export const commands: CliCommand[] = [];
