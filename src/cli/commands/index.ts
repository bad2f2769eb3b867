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
import { exportModelCommand } from './exportModel';
import { crawlCommand } from './crawl';
import { trainCommand } from './train';
import { predictCommand } from './predict';
import { simulateCommand } from './simulate';
import { embedCommand } from './embed';
import { scoreCommand } from './score';
import { mergeShardsCommand } from './mergeShards';
import { doctorCommand } from './doctor';
import { repairCommand } from './repair';
import { findCommand } from './find';
import { teamCommand } from './team';

export const commands: CliCommand[] = [
  initCommand,
  importCommand,
  bootstrapCommand,
  trainCommand,
  nextCommand,
  predictCommand,
  findCommand,
  labelCommand,
  undoCommand,
  teamCommand,
  statsCommand,
  exportCommand,
  exportModelCommand,
  repairCommand,
  crawlCommand,
  simulateCommand,
  embedCommand,
  scoreCommand,
  mergeShardsCommand,
  doctorCommand,
];
