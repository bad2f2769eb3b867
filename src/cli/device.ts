/**
 * `--device` of the commands that run onnxruntime in the CLI's own process (the shard commands):
 * the value is checked against the backend's list of devices and handed to it as given, so a
 * device the backend learns is a CLI device too.
 */
import { Backend, DEVICE_CHOICES, type DeviceChoice } from '../../python-free-train/backend';
import { CliError, optString, type CliIO, type ParsedArgs } from './types';

export const DEVICE_CLI_OPTIONS = { device: { type: 'string' } } as const;

export const DEVICE_USAGE = `  --device D         where onnxruntime runs: ${DEVICE_CHOICES.join(', ')} (default auto)`;

/** The backend for `--device` and `SECREVIEW_THREADS`; a device that cannot start is a `CliError`. */
export async function backendOf(args: ParsedArgs, io: Pick<CliIO, 'env'>): Promise<Backend> {
  const device = optString(args, 'device') ?? 'auto';
  if (!(DEVICE_CHOICES as readonly string[]).includes(device)) {
    throw new CliError(`--device must be one of ${DEVICE_CHOICES.join(', ')}, got "${device}"`);
  }
  try {
    return await Backend.create({ device: device as DeviceChoice, threads: Number(io.env.SECREVIEW_THREADS) || undefined });
  } catch (e) {
    throw new CliError(`--device ${device}: ${(e as Error).message}`);
  }
}
