/**
 * Worker-thread entry of the parallel featurizer: rebuilds the hashing representation from its
 * parameters and writes the vectors of each batch of texts into the buffer it is handed.
 * Bundled as `dist/featurizer-worker.js`; run from source under tsx.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FeaturizerInit, FromFeaturizer, ToFeaturizer } from './featurizerProtocol';
import { HashingRepresentation } from './hashing';

const port = parentPort;
if (port) {
  const representation = HashingRepresentation.fromParams((workerData as FeaturizerInit).params);
  port.on('message', (msg: ToFeaturizer) => {
    if (msg.type === 'close') {
      port.close();
      return;
    }
    const { requestId, texts, buffer } = msg;
    let reply: FromFeaturizer;
    try {
      representation.featurizeRows(texts, new Float32Array(buffer));
      reply = { type: 'done', requestId, buffer };
    } catch (err) {
      reply = { type: 'error', requestId, message: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply, reply.type === 'done' ? [buffer] : []);
  });
}
