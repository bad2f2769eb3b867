/**
 * The paper's labeled data for tests: beside the project (../shared/data), else the cache that
 * `npm run fetch-paper-data` fills. Without it the tests that need it are skipped, saying how to get
 * it; where CI=true they run (and fail on the missing file): CI must never skip them silently.
 */
import path from 'node:path';
import { findPaperData, HOW_TO_GET, PAPER_DATA_FILE } from '../../scripts/paper-data';

const found = process.env.SECREVIEW_PAPER_DATA || findPaperData();

/** The file's path (where CI has no data, the path it should be at: reading it fails loudly). */
export const paperLabelsFile = found ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'data', PAPER_DATA_FILE);

/** node:test's `skip` for a test that reads the data: a reason when it is missing, never under CI=true. */
export function paperDataSkip(file: string | undefined, env: NodeJS.ProcessEnv): string | false {
  return file || env.CI === 'true' ? false : `the paper's labeled data is not here: ${HOW_TO_GET}`;
}

export const needsPaperData = paperDataSkip(found, process.env);
