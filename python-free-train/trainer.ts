/**
 * The trainer process. Forked by the extension host or the CLI (`src/train/client.ts`) with an IPC
 * channel; speaks the `src/protocol/trainer.ts` messages. Announces itself with `ready`, runs one
 * `train` request at a time on the device it asks for, streams `progress`, answers with
 * `result` or `error`, after a `device` message that says where its graphs run. A `cancel` or the
 * parent's death stops it; temporary model folders are removed on the way out.
 *
 * Bundled to dist/trainer.js; in development: `node --import tsx python-free-train/trainer.ts`.
 */
import {
  TRAINER_PROTOCOL_VERSION, isParentToTrainer,
  type ParentToTrainer, type TrainerErrorCode, type TrainerToParent,
} from '../src/protocol/trainer';
import { Backend, DEVICE_CHOICES, type DeviceChoice, isDeviceChoice } from './backend';
import { RepresentationUnavailableError } from './features/representation';
import { TrainJobError, runTrainJob } from './trainer/job';
import { ModelDownloadError } from './roberta/hub';
import { RobertaModelError } from './roberta/model';

function send(msg: TrainerToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) { resolve(); return; }
    process.send(msg, undefined, undefined, () => resolve());
  });
}

function errorCode(e: unknown): TrainerErrorCode {
  if (e instanceof TrainJobError) return e.code;
  if (e instanceof RepresentationUnavailableError) return 'representation-unavailable';
  // A RoBERTa folder that is missing, incomplete or cannot be downloaded: the user fixes the setting.
  if (e instanceof ModelDownloadError || e instanceof RobertaModelError) return 'representation-unavailable';
  if (e instanceof Error && e.name === 'CancelledError') return 'cancelled';
  return 'internal';
}

async function main(): Promise<void> {
  if (!process.send) {
    console.error('secreview trainer: this program is started by the extension or the secreview CLI (it needs an IPC channel); run "secreview train" instead');
    process.exit(2);
  }
  const threads = Number(process.env.SECREVIEW_TRAINER_THREADS) || undefined;
  // One backend per device asked for, created on the first request that needs it (choosing a GPU
  // probes it, which a CPU-only request should not wait for).
  const backends = new Map<string, Promise<Backend>>();
  const backendFor = (device: DeviceChoice): Promise<Backend> => {
    let b = backends.get(device);
    if (!b) {
      b = Backend.create({ device, threads });
      backends.set(device, b);
      b.catch(() => backends.delete(device));
    }
    return b;
  };
  let running: { requestId: string; controller: AbortController } | undefined;

  const handle = async (msg: ParentToTrainer): Promise<void> => {
    switch (msg.type) {
      case 'cancel':
        if (running?.requestId === msg.requestId) running.controller.abort();
        return;
      case 'train': {
        if (running) {
          await send({ type: 'error', requestId: msg.requestId, code: 'bad-request', message: `the trainer is busy with request ${running.requestId}` });
          return;
        }
        const controller = new AbortController();
        running = { requestId: msg.requestId, controller };
        try {
          const device = msg.options.device ?? 'auto';
          if (!isDeviceChoice(device)) throw new TrainJobError('bad-request', `device must be one of ${DEVICE_CHOICES.join(', ')}, got "${String(device)}"`);
          let backend: Backend;
          try {
            backend = await backendFor(device);
          } catch (e) {
            throw new TrainJobError('bad-request', (e as Error).message.replace(/^backend: /, ''));
          }
          await send({ type: 'device', requestId: msg.requestId, device: backend.info() });
          const result = await runTrainJob(msg.workspaceDir, msg.options, {
            backend, signal: controller.signal,
            progress: (progress) => { void send({ type: 'progress', requestId: msg.requestId, progress }); },
          });
          await send({ type: 'result', requestId: msg.requestId, result });
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          const code = errorCode(err);
          await send({ type: 'error', requestId: msg.requestId, code, message: err.message, stack: code === 'internal' ? err.stack : undefined });
        } finally {
          running = undefined;
        }
      }
    }
  };

  process.on('message', (msg: unknown) => {
    if (!isParentToTrainer(msg)) {
      console.error(`secreview trainer: malformed message ${JSON.stringify(msg).slice(0, 200)}`);
      // Every request is answered, a malformed one with an error, so its sender never waits.
      const requestId = (msg as { requestId?: unknown } | null)?.requestId;
      if (typeof requestId === 'string') void send({ type: 'error', requestId, code: 'bad-request', message: 'malformed request (a train request needs workspaceDir and options)' });
      return;
    }
    void handle(msg);
  });
  // Parent gone (crash, window closed): stop the work; the job removes its temporary folder.
  process.on('disconnect', () => {
    if (!running) process.exit(0);
    running.controller.abort();
    setTimeout(() => process.exit(1), 5000).unref();
    const poll = setInterval(() => { if (!running) process.exit(1); }, 50);
    poll.unref();
  });
  await send({ type: 'ready', protocol: TRAINER_PROTOCOL_VERSION, pid: process.pid });
}

main().catch((e: unknown) => {
  console.error(`secreview trainer: failed to start: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
