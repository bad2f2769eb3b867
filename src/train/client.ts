/**
 * Parent side of the trainer process, shared by the CLI and the extension: forks the trainer,
 * sends one `train` request, relays progress, and resolves with the result. Cancellation sends
 * `cancel` (then kills the process if it does not stop within a grace period). A crash of the
 * trainer, SIGKILL included, rejects with a `TrainerFailedError` that says what happened; it
 * cannot harm labels.json (the trainer never writes it) or earlier models (a new model only
 * appears by renaming a complete folder).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  TRAINER_PROTOCOL_VERSION, checkTrainRequest, isTrainerToParent,
  type DeviceInfo, type TrainerErrorCode, type TrainOptions, type TrainPhase, type TrainProgress, type TrainResult, type ParentToTrainer,
} from '../protocol/trainer';
import { runtimeUnavailable } from './runtimeSupport';

export type TrainerFailure = TrainerErrorCode | 'crashed' | 'start-failed' | 'protocol' | 'unsupported-platform';

export class TrainerFailedError extends Error {
  constructor(readonly code: TrainerFailure, message: string, readonly stderrTail = '') {
    super(message);
    this.name = 'TrainerFailedError';
  }
}

/** How to start the trainer: a script and the Node flags it needs. */
export interface TrainerEntry { modulePath: string; execArgv: string[] }

/**
 * The bundled `trainer.js` beside this bundle (dist/), else the TypeScript source run through tsx
 * (development and tests). `SECREVIEW_TRAINER` overrides both.
 */
export function resolveTrainerEntry(env: NodeJS.ProcessEnv = process.env): TrainerEntry {
  const override = env.SECREVIEW_TRAINER;
  if (override) return { modulePath: path.resolve(override), execArgv: override.endsWith('.ts') ? ['--import', 'tsx'] : [] };
  const found = findProgram('trainer.js', path.join('python-free-train', 'trainer.ts'));
  if (found) return found;
  throw new TrainerFailedError('start-failed', `cannot find the trainer program (looked for ${path.join(__dirname, 'trainer.js')} and python-free-train/trainer.ts above ${__dirname}); rebuild with "npm run build"`);
}

/** A program of this project: its bundle beside this one (dist/), else its TypeScript source run through tsx. */
export function findProgram(bundle: string, source: string): TrainerEntry | undefined {
  const bundled = path.join(__dirname, bundle);
  if (existsSync(bundled)) return { modulePath: bundled, execArgv: [] };
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, source);
    if (existsSync(file)) return { modulePath: file, execArgv: ['--import', 'tsx'] };
  }
  return undefined;
}

export interface ReadyInfo { pid: number }

export interface TrainingHooks {
  onProgress?: (progress: TrainProgress) => void;
  onReady?: (info: ReadyInfo) => void;
  /** Where the graphs run (device, GPU adapter), once the trainer has chosen. */
  onDevice?: (device: DeviceInfo) => void;
  /** Lines the trainer writes on stderr (diagnostics), for a log or output channel. */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  entry?: TrainerEntry;
  env?: NodeJS.ProcessEnv;
  /** How long a cancelled trainer may take to clean up before it is killed. Default 10 s. */
  cancelGraceMs?: number;
}

export interface TrainingOutcome extends TrainResult { provider: string; providerDetail: string; device?: DeviceInfo; pid: number }

const PHASE_WORDS: Record<TrainPhase, string> = {
  loading: 'loading labels and pool', featurizing: 'featurizing', training: 'training',
  scoring: 'scoring the pool', selecting: 'selecting the next batch', saving: 'saving the model',
};

/** Runs one training in a fresh trainer process. */
export function runTraining(workspaceFolder: string, options: TrainOptions, hooks: TrainingHooks = {}): Promise<TrainingOutcome> {
  const unavailable = runtimeUnavailable('training');
  if (unavailable) return Promise.reject(new TrainerFailedError('unsupported-platform', unavailable));
  // A bad request (an invalid setting) fails here, before a trainer process is started.
  const checked = checkTrainRequest(options);
  if (!checked.ok) return Promise.reject(new TrainerFailedError('bad-request', checked.error));
  const entry = hooks.entry ?? resolveTrainerEntry(hooks.env);
  const requestId = randomUUID();
  return new Promise<TrainingOutcome>((resolve, reject) => {
    if (hooks.signal?.aborted) { reject(new TrainerFailedError('cancelled', 'training was cancelled')); return; }
    let child: ChildProcess;
    try {
      child = fork(entry.modulePath, [], {
        execArgv: entry.execArgv, env: hooks.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    } catch (e) {
      reject(new TrainerFailedError('start-failed', `cannot start the trainer: ${(e as Error).message}`));
      return;
    }
    let settled = false;
    let ready: ReadyInfo | undefined;
    let device: DeviceInfo | undefined;
    let phase: TrainPhase | 'starting' = 'starting';
    let cancelRequested = false;
    let stderrTail = '';
    let killTimer: NodeJS.Timeout | undefined;

    const onStderr = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderrTail = (stderrTail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) hooks.onLog?.(line);
    };
    child.stderr?.on('data', onStderr);
    child.stdout?.on('data', (c: Buffer) => { for (const line of c.toString('utf8').split('\n')) if (line.trim()) hooks.onLog?.(line); });

    const post = (msg: ParentToTrainer) => {
      if (child.connected) child.send(msg, (err) => { if (err) hooks.onLog?.(`could not message the trainer: ${err.message}`); });
    };
    const finish = (error: TrainerFailedError | undefined, outcome?: TrainingOutcome) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      // Let the trainer exit on its own (it exits when the channel closes); make sure it does.
      if (child.connected) child.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        t.unref();
        child.once('exit', () => clearTimeout(t));
      }
      if (error) reject(error); else resolve(outcome!);
    };
    const onAbort = () => {
      cancelRequested = true;
      post({ type: 'cancel', requestId });
      killTimer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new TrainerFailedError('cancelled', 'training was cancelled (the trainer did not stop in time and was killed)', stderrTail));
      }, hooks.cancelGraceMs ?? 10_000);
      if (!ready) child.kill('SIGTERM');
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (msg: unknown) => {
      if (!isTrainerToParent(msg)) { hooks.onLog?.(`unknown message from the trainer: ${JSON.stringify(msg).slice(0, 200)}`); return; }
      switch (msg.type) {
        case 'ready':
          if (msg.protocol !== TRAINER_PROTOCOL_VERSION) {
            finish(new TrainerFailedError('protocol', `the trainer speaks protocol ${msg.protocol}, this program ${TRAINER_PROTOCOL_VERSION}; rebuild with "npm run build"`));
            return;
          }
          ready = { pid: msg.pid };
          hooks.onReady?.(ready);
          post({ type: 'train', requestId, workspaceDir: workspaceFolder, options });
          return;
        case 'device':
          if (msg.requestId !== requestId) return;
          device = msg.device;
          hooks.onDevice?.(msg.device);
          return;
        case 'progress':
          if (msg.requestId !== requestId) return;
          phase = msg.progress.phase;
          hooks.onProgress?.(msg.progress);
          return;
        case 'result':
          if (msg.requestId !== requestId) return;
          finish(undefined, {
            ...msg.result, provider: device?.device ?? msg.result.model.provider, providerDetail: device?.detail ?? '',
            ...(device ? { device } : {}), pid: child.pid ?? 0,
          });
          return;
        case 'error':
          if (msg.requestId !== requestId) return;
          finish(new TrainerFailedError(msg.code, msg.code === 'internal' ? `the trainer failed while ${phaseText(phase)}: ${msg.message}` : msg.message, msg.stack ?? stderrTail));
          return;
      }
    });
    child.on('error', (e) => {
      finish(new TrainerFailedError('start-failed', `cannot run the trainer (${entry.modulePath}): ${e.message}`, stderrTail));
    });
    // 'close' comes once the IPC channel and stderr are read to their end: 'exit' can come before the
    // last progress message (the phase it was in) and the last lines of stderr have been read.
    const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
      if (cancelRequested) { finish(new TrainerFailedError('cancelled', 'training was cancelled', stderrTail)); return; }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = stderrTail.trim() ? `\n${stderrTail.trim().split('\n').slice(-8).join('\n')}` : '';
      finish(new TrainerFailedError('crashed',
        `the trainer process ${how} while ${phaseText(phase)}; no model was saved from this run, and labels and earlier models are unchanged${tail}`, stderrTail));
    };
    child.on('close', onEnd);
    // Should a descendant keep stderr open, the exit is reported anyway.
    child.on('exit', (code, signal) => { setTimeout(() => onEnd(code, signal), 2000).unref(); });
  });
}

function phaseText(phase: TrainPhase | 'starting'): string {
  return phase === 'starting' ? 'starting' : PHASE_WORDS[phase];
}
