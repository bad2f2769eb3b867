/**
 * Worker-thread entry of the study runner: runs the simulation runs it is sent, one at a time, and
 * reports progress and rows. Bundled as `dist/simulation-worker.js`; run from source under tsx.
 */
import { parentPort } from 'node:worker_threads';
import { closeEngines, executeRun } from './executeRun';
import type { FromWorker, ToWorker } from './workerProtocol';

const port = parentPort;
if (port) {
  const post = (m: FromWorker) => port.postMessage(m);
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      void closeEngines().finally(() => port.close());
      return;
    }
    const { requestId, run } = msg;
    executeRun(msg.config, run, msg.engine, msg.threads, { onIteration: (iteration, of) => post({ type: 'progress', requestId, run, iteration, of }) })
      .then((r) => post({ type: 'done', requestId, run, rows: r.rows, phases: r.phases, engine: r.engine }))
      .catch((err: unknown) => post({ type: 'error', requestId, run, message: err instanceof Error ? err.stack ?? err.message : String(err) }));
  });
}
