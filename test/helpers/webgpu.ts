/**
 * The WebGPU backend for the GPU parity tests: any adapter, a software one included (Mesa's
 * lavapipe in CI). Without one the tests are skipped with a line that says what to install, except
 * under CI=true, where a missing adapter fails them.
 */
import type { TestContext } from 'node:test';
import { Backend } from '../../python-free-train/backend';

let shared: Promise<Backend> | undefined;

export async function webgpuOrSkip(t: TestContext): Promise<Backend | undefined> {
  shared ??= Backend.create({ device: 'webgpu', threads: 1 });
  try {
    return await shared;
  } catch (e) {
    const what = `no WebGPU adapter (${(e as Error).message.replace(/^backend: /, '')}). On Debian 12 install `
      + 'mesa-vulkan-drivers and libvulkan1 from bookworm-backports (scripts/install-system-deps.sh does, as root)';
    if (process.env.CI === 'true') throw new Error(`the WebGPU parity tests must run in CI, but there is ${what}`);
    t.skip(`skipped: ${what}`);
    return undefined;
  }
}
