/**
 * Fault harness for retraining: the trainer process SIGKILLed at every phase it reports, and the
 * `secreview train` process itself SIGKILLed at every phase. After each kill the label events are
 * exactly what they were, every recorded model still loads, no lock blocks the next writer, and the
 * next training succeeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainOptions, TrainPhase } from '../../src/protocol/trainer';
import { TrainerFailedError } from '../../src/train/client';
import { retrainAndPropose } from '../../src/train/retrain';
import { loadScores, readManifest } from '../../src/store/layout';
import { upgradeLabelData } from '../../src/store/labelDb';
import { FileLock, processAlive } from '../../src/store/lock';
import { listBackups } from '../../src/store/backups';
import { needsPaperData, paperWorkspace } from '../integration/trainer/helpers';
import { assertBuilt, printFigures, startCli, trainerBundle } from './harness';

const PHASES: TrainPhase[] = ['loading', 'featurizing', 'training', 'saving', 'scoring', 'selecting'];
const quick: Omit<TrainOptions, 'modelVersion'> = {
  representation: 'hashing', epochs: 6, seed: 3, strategy: 'rare:0.45,entropy:0.45,random:0.1', batchSize: 40, hashingDim: 1024, scoreChunk: 100,
};

/** What no crash may change: the label events and every recorded model's files. */
function checkIntact(folder: string, eventsBefore: string, when: string): string[] {
  const dir = path.join(folder, '.secreview');
  const file = path.join(dir, 'labels.json');
  const data = upgradeLabelData(JSON.parse(readFileSync(file, 'utf8')), file);
  assert.equal(JSON.stringify(data.events), eventsBefore, `${when}: the label events are unchanged`);
  for (const m of data.models) assert.equal(loadScores(dir, m.version)?.version, m.version, `${when}: model ${m.version} still loads`);
  // A visible model folder is always a whole one (a killed trainer leaves at most a dot-folder).
  for (const name of readdirSync(path.join(dir, 'models')).filter((n) => !n.startsWith('.'))) readManifest(path.join(dir, 'models', name));
  return data.models.map((m) => m.version);
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (processAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !processAlive(pid);
}

test('the trainer and `secreview train`, SIGKILLed at every phase, change no label and leave every model whole', { skip: needsPaperData }, async () => {
  assertBuilt();
  const { ws, folder, cleanup } = await paperWorkspace(500);
  const entry = { modulePath: trainerBundle, execArgv: [] };
  /** Runs whose kill landed (the process died of it), by who was killed and the phase it had just reported. */
  const landed: Record<string, number> = {};
  let runs = 0;
  try {
    await retrainAndPropose(ws, quick, { entry });
    const events = JSON.stringify(ws.db.events());
    // The trainer process, killed as soon as it reports each phase.
    for (const phase of PHASES) {
      for (let attempt = 0; attempt < 4 && !landed[`trainer ${phase}`]; attempt++) {
        let pid = 0;
        runs++;
        const outcome = await retrainAndPropose(ws, quick, {
          entry,
          onReady: (r) => { pid = r.pid; },
          onProgress: (p) => { if (p.phase === phase) process.kill(pid, 'SIGKILL'); },
        }).then(() => undefined, (e: unknown) => e);
        if (outcome instanceof TrainerFailedError) {
          assert.equal(outcome.code, 'crashed', outcome.message);
          assert.match(outcome.message, /labels and earlier models are unchanged/);
          landed[`trainer ${phase}`] = (landed[`trainer ${phase}`] ?? 0) + 1;
        } else {
          assert.equal(outcome, undefined, String(outcome));
        }
        checkIntact(folder, events, `trainer killed at ${phase}`);
      }
    }
  } finally {
    await ws.close();
  }
  try {
    // `secreview train` itself, killed at each phase it prints; its trainer must stop on its own.
    const events = JSON.stringify(upgradeLabelData(JSON.parse(readFileSync(path.join(folder, '.secreview', 'labels.json'), 'utf8')), 'labels.json').events);
    const args = ['train', '--epochs', '6', '--dim', '1024', '--size', '40', '-C', folder];
    for (const phase of PHASES) {
      for (let attempt = 0; attempt < 4 && !landed[`cli ${phase}`]; attempt++) {
        runs++;
        const cli = startCli(args);
        let trainerPid = 0;
        cli.onStderrLine((line) => {
          const started = /^trainer started \(pid (\d+)/.exec(line);
          if (started) trainerPid = Number(started[1]);
          if (line.startsWith(`${phase}:`)) cli.kill();
        });
        const run = await cli.done;
        if (run.killed) {
          landed[`cli ${phase}`] = (landed[`cli ${phase}`] ?? 0) + 1;
          assert.ok(trainerPid > 0, 'the trainer had started');
          assert.ok(await waitForExit(trainerPid, 20_000), `cli killed at ${phase}: the orphaned trainer exits`);
        } else {
          assert.equal(run.code, 0, run.stderr);
        }
        assert.equal(FileLock.holder(path.join(folder, '.secreview', 'lock')), undefined, `cli killed at ${phase}: no live lock is left`);
        checkIntact(folder, events, `cli killed at ${phase}`);
      }
    }
    const newestBackup = () => listBackups(path.join(folder, '.secreview'))[0];
    const backupBefore = newestBackup();
    const final = await startCli(args).done;
    assert.equal(final.code, 0, final.stderr);
    const models = checkIntact(folder, events, 'after the last training');
    assert.notEqual(newestBackup()?.name, backupBefore?.name, 'the retrain wrote a backup of the labels');
    assert.equal(newestBackup()?.events, JSON.parse(events).length);
    printFigures('trainer', { runs, kills: Object.values(landed).reduce((a, b) => a + b, 0), killedAfterReporting: landed, models: models.length });
    for (const phase of PHASES) {
      assert.ok(landed[`trainer ${phase}`], `the trainer was killed after reporting ${phase}`);
      assert.ok(landed[`cli ${phase}`], `secreview train was killed after printing ${phase}`);
    }
  } finally {
    cleanup();
  }
});
