/** Every `secreview` subcommand, in the order `secreview --help` lists them. */
import type { CliCommand } from '../types';
import { initCommand } from './init';
import { importCommand } from './import';
import { bootstrapCommand } from './bootstrap';
import { nextCommand } from './next';
import { labelCommand } from './label';
import { undoCommand } from './undo';
import { statsCommand } from './stats';
import { exportCommand } from './export';
import { crawlCommand } from './crawl';
import { trainCommand } from './train';
import { predictCommand } from './predict';
import { simulateCommand } from './simulate';

export const commands: CliCommand[] = [
  initCommand,
  importCommand,
  bootstrapCommand,
  trainCommand,
  nextCommand,
  predictCommand,
  labelCommand,
  undoCommand,
  statsCommand,
  exportCommand,
  crawlCommand,
  simulateCommand,
];
