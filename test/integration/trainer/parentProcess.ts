// A stand-in parent for the parent-death test: starts a training through the client and reports the
// trainer's pid and progress phases on stdout (one JSON object a line), until it is killed.
import { runTraining } from '../../../src/train/client';

const [folder, epochs] = process.argv.slice(2);
runTraining(folder!, {
  representation: 'hashing', hidden: [16], epochs: Number(epochs), seed: 1, strategy: 'rare', batchSize: 10, hashingDim: 1024, modelVersion: 'orphan', scoreChunk: 100,
}, {
  onReady: (r) => process.stdout.write(JSON.stringify({ trainerPid: r.pid }) + '\n'),
  onProgress: (p) => process.stdout.write(JSON.stringify({ phase: p.phase, epoch: p.epoch }) + '\n'),
}).then(() => process.stdout.write(JSON.stringify({ done: true }) + '\n'), (e: unknown) => {
  process.stdout.write(JSON.stringify({ error: String(e) }) + '\n');
});
