/** Opening the workspace of the folder a command runs in. */
import { Workspace, type OpenOptions } from '../store/workspace';
import type { CliIO } from './types';

export async function withWorkspace<T>(io: CliIO, command: string, fn: (ws: Workspace) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const ws = await Workspace.open(io.cwd, { owner: `secreview ${command} (pid ${process.pid})`, annotator: io.env.SECREVIEW_ANNOTATOR, ...options });
  try {
    return await fn(ws);
  } finally {
    await ws.close();
  }
}

export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
