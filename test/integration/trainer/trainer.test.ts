import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MODEL_LABELS } from '../../../src/core/labels';
import type { TrainOptions, TrainPhase } from '../../../src/protocol/trainer';
import { runTraining, TrainerFailedError } from '../../../src/train/client';
import { retrainAndPropose } from '../../../src/train/retrain';
import { MODEL_FILES, loadScores } from '../../../src/store/layout';
import { Backend } from '../../../python-free-train/backend';
import { TrainJobError, runTrainJob } from '../../../python-free-train/trainer/job';
import { L2_DEFAULTS } from '../../../python-free-train/trainer/regularized';
import { paperWorkspace, treeHashes, fileHash, needsPaperData } from './helpers';

const quick: Omit<TrainOptions, 'modelVersion'> = {
  representation: 'hashing', epochs: 4, seed: 7, strategy: 'rare:0.45,entropy:0.45,random:0.1', batchSize: 40, hashingDim: 1024,
};
/** A head with a hidden layer trains in epochs: long runs to interrupt (`epochs: 200`). */
const epochHead = { ...quick, hidden: [16] };

test('retrain: trains in a child process, saves the model, scores the pool, proposes an unlabeled batch', { skip: needsPaperData }, async () => {
  const { ws, cleanup } = await paperWorkspace(600);
  try {
    const phases = new Set<TrainPhase>();
    let provider = '';
    const out = await retrainAndPropose(ws, quick, { onProgress: (p) => phases.add(p.phase), onDevice: (d) => { provider = d.device; } });
    for (const ph of ['loading', 'featurizing', 'training', 'scoring', 'selecting'] as const) assert.ok(phases.has(ph), `progress reports ${ph}`);
    assert.equal(provider, 'cpu');
    assert.equal(out.model.version, 'm0001');
    assert.equal(out.training.model.provider, 'cpu');
    // The default linear head: one fit per L2 strength, the kept one ranked best by the inner folds.
    assert.deepEqual(out.training.model.headFit && { fit: out.training.model.headFit.fit, innerFolds: out.training.model.headFit.innerFolds }, { fit: 'l2', innerFolds: 5 });
    assert.deepEqual(out.model.epochs.map((e) => e.l2), [...L2_DEFAULTS.strengths]);
    const selected = out.model.epochs.find((e) => e.epoch === out.model.selectedEpoch)!;
    assert.equal(selected.l2, out.training.model.headFit!.l2);
    assert.ok(out.model.epochs.every((e) => e.innerRocAuc! <= selected.innerRocAuc!), 'the kept strength has the best inner ROC-AUC');
    assert.ok(selected.rocAuc! > 0.7, `test ROC-AUC of "yes" ${selected.rocAuc}`);
    // The head that scores the pool learned from every label, test split included.
    assert.equal(out.training.model.headFit!.fittedRows, out.training.model.trainSize + out.training.model.testSize);
    // Recorded by the parent through the label database.
    assert.deepEqual(ws.db.models().map((m) => m.version), ['m0001']);
    assert.equal(ws.db.batches().length, 1);
    const batch = ws.db.batches()[0]!;
    assert.equal(batch.modelVersion, 'm0001');
    assert.equal(batch.items.length, 40);
    assert.equal(out.batch.id, batch.id);
    const labeledBodies = new Set([...ws.db.current().keys()].map((id) => ws.pool.bodyKeyOf(ws.pool.rowOf(id)!)));
    for (const item of batch.items) {
      assert.equal(ws.db.labelOf(item.reviewId), undefined, 'proposed reviews are unlabeled');
      assert.ok(!labeledBodies.has(ws.pool.bodyKeyOf(ws.pool.rowOf(item.reviewId)!)), 'no proposed body was labeled already');
    }
    assert.deepEqual(new Set(batch.items.map((i) => i.strategy)), new Set(['rare', 'entropy', 'random']));
    // Scores: one row of 4 probabilities per pool row.
    const scores = loadScores(ws.dir)!;
    assert.equal(scores.version, 'm0001');
    assert.equal(scores.rows, ws.pool.size);
    assert.deepEqual(scores.classes, [...MODEL_LABELS]);
    for (let r = 0; r < scores.rows; r += 97) {
      const s = scores.probs.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(s - 1) < 1e-4);
    }
    const rare = batch.items.filter((i) => i.strategy === 'rare');
    const rareRow = ws.pool.rowOf(rare[0]!.reviewId)!;
    assert.ok(Math.abs(scores.probs[rareRow * 4]! - rare[0]!.score) < 1e-6, 'rare-label score is p(yes) from scores.bin');
    for (const f of Object.values(MODEL_FILES)) assert.ok(existsSync(path.join(ws.modelsDir, 'm0001', f)), `${f} saved`);
    assert.deepEqual(readdirSync(ws.modelsDir).filter((n) => n.startsWith('.')), [], 'no temporary folder left');
  } finally {
    await ws.close();
    cleanup();
  }
});

test('a head with hidden layers trains in epochs and keeps the one with the lowest test loss', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(300);
  try {
    const out = await runTraining(folder, { ...epochHead, modelVersion: 'mlp' });
    assert.equal(out.model.headFit?.fit, 'epochs');
    assert.equal(out.model.epochs.length, 4);
    const selected = out.model.epochs.find((e) => e.epoch === out.model.selectedEpoch)!;
    assert.ok(out.model.epochs.every((e) => e.testLoss >= selected.testLoss && e.l2 === undefined), 'the kept epoch has the lowest test loss');
  } finally {
    await ws.close();
    cleanup();
  }
});

test('identical seeds give identical metrics, scores and batches', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(400);
  try {
    const a = await runTraining(folder, { ...quick, modelVersion: 'a' });
    const b = await runTraining(folder, { ...quick, modelVersion: 'b' });
    assert.deepEqual(a.model.epochs, b.model.epochs);
    assert.deepEqual(a.batch.items, b.batch.items);
    assert.equal(fileHash(path.join(ws.modelsDir, 'a', MODEL_FILES.scores)), fileHash(path.join(ws.modelsDir, 'b', MODEL_FILES.scores)));
    assert.equal(fileHash(path.join(ws.modelsDir, 'a', MODEL_FILES.head)), fileHash(path.join(ws.modelsDir, 'b', MODEL_FILES.head)));
  } finally {
    await ws.close();
    cleanup();
  }
});

test('SIGKILL mid-training: labels and the previous model are intact, the failure is reported, the next run succeeds', { skip: needsPaperData }, async () => {
  const { ws, cleanup } = await paperWorkspace(500);
  try {
    await retrainAndPropose(ws, quick);
    const labelsBefore = readFileSync(ws.labelsFile, 'utf8');
    const modelBefore = treeHashes(path.join(ws.modelsDir, 'm0001'));
    for (const [phase, expected] of [['training', /killed by SIGKILL while training/], ['scoring', /killed by SIGKILL while scoring the pool/]] as const) {
      let pid = 0;
      const failure = await retrainAndPropose(ws, { ...epochHead, epochs: phase === 'training' ? 200 : 2, scoreChunk: 100 }, {
        onReady: (r) => { pid = r.pid; },
        onProgress: (p) => { if (p.phase === phase && (p.epoch ?? 2) === 2) process.kill(pid, 'SIGKILL'); },
      }).then(() => undefined, (e: unknown) => e);
      assert.ok(failure instanceof TrainerFailedError, 'the failure is reported');
      assert.equal(failure.code, 'crashed');
      assert.match(failure.message, expected);
      assert.match(failure.message, /labels and earlier models are unchanged/);
      assert.equal(readFileSync(ws.labelsFile, 'utf8'), labelsBefore, 'labels.json untouched');
      assert.deepEqual(treeHashes(path.join(ws.modelsDir, 'm0001')), modelBefore, 'previous model untouched');
      assert.deepEqual(readdirSync(ws.modelsDir).filter((n) => !n.startsWith('.')), ['m0001'], 'no partial model folder');
      assert.equal(loadScores(ws.dir)!.version, 'm0001');
    }
    assert.ok(readdirSync(ws.modelsDir).some((n) => n.startsWith('.tmp-')), 'the run killed while scoring left its temporary folder');
    const next = await retrainAndPropose(ws, quick);
    assert.equal(next.model.version, 'm0002');
    assert.equal(loadScores(ws.dir)!.version, 'm0002');
    assert.deepEqual(readdirSync(ws.modelsDir).sort(), ['m0001', 'm0002'], 'leftovers of the killed run are cleaned up');
  } finally {
    await ws.close();
    cleanup();
  }
});

test('a trainer killed while it saves the model is reported as killed while saving, not in an earlier phase', { skip: needsPaperData }, async () => {
  const { ws, cleanup } = await paperWorkspace(400);
  try {
    let pid = 0;
    let tempDir = '';
    // The last file of the model folder is a FIFO here: writing it blocks, as on a stalled disk, so
    // the kill lands while the trainer saves, whatever the machine's speed.
    const failure = await retrainAndPropose(ws, { ...quick, epochs: 2 }, {
      onReady: (r) => { pid = r.pid; },
      onProgress: (p) => {
        if (tempDir || p.phase !== 'scoring') return;
        tempDir = path.join(ws.modelsDir, readdirSync(ws.modelsDir).find((n) => n.startsWith('.tmp-'))!);
        assert.equal(spawnSync('mkfifo', [path.join(tempDir, MODEL_FILES.model)]).status, 0, 'mkfifo');
        const poll = setInterval(() => {
          if (!existsSync(path.join(tempDir, MODEL_FILES.metrics))) return;
          clearInterval(poll);
          setTimeout(() => process.kill(pid, 'SIGKILL'), 200);
        }, 5);
      },
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(failure instanceof TrainerFailedError, 'the failure is reported');
    assert.equal(failure.code, 'crashed');
    assert.match(failure.message, /killed by SIGKILL while saving the model/);
    assert.deepEqual(ws.db.models(), [], 'nothing recorded');
    assert.deepEqual(readdirSync(ws.modelsDir).filter((n) => !n.startsWith('.')), [], 'no model folder');
  } finally {
    await ws.close();
    cleanup();
  }
});

test('cancel stops the trainer and leaves no model folder', { skip: needsPaperData }, async () => {
  const { ws, cleanup } = await paperWorkspace(300);
  try {
    const controller = new AbortController();
    const failure = await retrainAndPropose(ws, { ...epochHead, epochs: 200 }, {
      signal: controller.signal,
      onProgress: (p) => { if (p.phase === 'training' && p.epoch === 2) controller.abort(); },
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(failure instanceof TrainerFailedError);
    assert.equal(failure.code, 'cancelled');
    assert.deepEqual(readdirSync(ws.modelsDir), []);
    assert.equal(ws.db.models().length, 0);
    assert.equal(ws.db.batches().length, 0);
  } finally {
    await ws.close();
    cleanup();
  }
});

test('errors the user can fix are reported with their cause', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(0);
  try {
    // Through the process: the error code and message travel over IPC.
    await assert.rejects(runTraining(folder, { ...quick, modelVersion: 'x' }), (e: unknown) => e instanceof TrainerFailedError && e.code === 'not-enough-labels' && /at least 4 labeled/.test(e.message));
    // The job itself refuses bad requests before reading anything.
    const ctx = { progress: () => {}, signal: new AbortController().signal, backend: await Backend.create({ device: 'cpu' }) };
    await assert.rejects(runTrainJob(folder, { ...quick, representation: 'roberta', precision: 'bf16' as 'fp32', modelVersion: 'x' }, ctx), /precision must be one of auto, fp32, int8, fp16/);
    await assert.rejects(runTrainJob(folder, { ...quick, strategy: 'best', modelVersion: 'x' }, ctx), (e: unknown) => e instanceof TrainJobError && e.code === 'bad-request' && /unknown strategy/.test(e.message));
    await assert.rejects(runTrainJob(folder, { ...quick, epochs: 0, modelVersion: 'x' }, ctx), /epochs must be an integer/);
    assert.deepEqual(readdirSync(ws.modelsDir), []);
  } finally {
    await ws.close();
    cleanup();
  }
});

test('when the parent dies mid-training, the trainer stops and leaves no model folder behind', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(300);
  try {
    const parent = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'parentProcess.ts'), folder, '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let trainerPid = 0;
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      parent.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const msg = JSON.parse(buffered.slice(0, nl)) as { trainerPid?: number; phase?: string; epoch?: number };
          buffered = buffered.slice(nl + 1);
          if (msg.trainerPid) trainerPid = msg.trainerPid;
          if (msg.phase === 'training' && msg.epoch === 2) { parent.kill('SIGKILL'); resolve(); }
        }
      });
      parent.on('exit', () => reject(new Error('the parent ended before training started')));
    });
    const alive = () => { try { process.kill(trainerPid, 0); return true; } catch { return false; } };
    const deadline = Date.now() + 15_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(), 'the orphaned trainer exits');
    assert.deepEqual(readdirSync(ws.modelsDir), [], 'no model folder, temporary or final');
  } finally {
    await ws.close();
    cleanup();
  }
});
