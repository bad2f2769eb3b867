/**
 * scripts/install-system-deps.sh on a machine where another process holds apt's lock: it waits with
 * progress and then installs, or after its time limit says who holds the lock and what to do (it used
 * to exit 100 at once). It says what it installs and why before doing it; the workbench needs no
 * chromium. apt-get here is a stand-in on PATH that answers as apt 2.6 does while the lock is held
 * (the machine's real apt lock is not ours to take); the script itself runs unchanged in bash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, tempDir } from '../../helpers/tmp';

const script = path.join(repoRoot, 'scripts', 'install-system-deps.sh');
const LOCK_MESSAGE = 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)\nN: Be aware that removing the lock file is not a solution and may break your system.\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?';

/** A PATH with bash's helpers, root's `id`, and an apt-get that finds the lock held for its first `busyCalls` calls. */
function machine(busyCalls: number, uid = 0): { bin: string; calls: string } {
  const dir = tempDir('secreview-apt-');
  const bin = path.join(dir, 'bin');
  const calls = path.join(dir, 'calls.log');
  spawnSync('mkdir', ['-p', bin]);
  for (const tool of ['bash', 'grep', 'sleep']) {
    const real = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(real, path.join(bin, tool));
  }
  writeFileSync(path.join(bin, 'id'), `#!/bin/bash\necho ${uid}\n`);
  writeFileSync(path.join(bin, 'apt-get'), `#!/bin/bash
n=0; [ -f "${calls}.n" ] && read -r n < "${calls}.n"; n=$((n + 1)); echo $n > "${calls}.n"
if [ $n -le ${busyCalls} ]; then printf '%s\\n' "${LOCK_MESSAGE}" >&2; exit 100; fi
echo "apt-get $*" >> "${calls}"
`);
  chmodSync(path.join(bin, 'id'), 0o755);
  chmodSync(path.join(bin, 'apt-get'), 0o755);
  return { bin, calls };
}

function run(bin: string, args: string[], wait: number) {
  return spawnSync(path.join(bin, 'bash'), [script, ...args], { encoding: 'utf8', env: { PATH: bin, SECREVIEW_APT_LOCK_WAIT: String(wait) } });
}

const gssapi = existsSync('/usr/include/gssapi/gssapi.h');

test('apt busy for a while: the script waits with progress, then installs', () => {
  const m = machine(2);
  const r = run(m.bin, ['--for', 'workbench'], 60);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^waiting for apt's lock \(\/var\/lib\/dpkg\/lock-frontend\. It is held by process 4242 \(unattended-upgr\)\): \d+ s of at most 60 s$/m);
  const calls = readFileSync(m.calls, 'utf8').trim().split('\n');
  assert.equal(calls[0], 'apt-get update -qq');
  assert.match(calls[1]!, /^apt-get install -y -qq --no-install-recommends ripgrep .*pkg-config$/);
  assert.match(r.stdout, /^installed ripgrep/m);
});

test('apt busy past the time limit: says who holds the lock and what to do, installs nothing', () => {
  const m = machine(1000);
  const t0 = Date.now();
  const r = run(m.bin, ['--for', 'workbench'], 3);
  assert.equal(r.status, 1);
  assert.ok(Date.now() - t0 < 20_000, 'bounded by the limit');
  assert.match(r.stderr, /apt is still busy after \d+ s: \/var\/lib\/dpkg\/lock-frontend\. It is held by process 4242 \(unattended-upgr\)/);
  assert.match(r.stderr, /Wait for that process to finish \(or stop it\), then run the command again; nothing was installed\./);
  assert.equal(existsSync(m.calls), false, 'apt-get never got past the lock');
});

test('for the workbench: no chromium, and it says why it installs', () => {
  const m = machine(0);
  const r = run(m.bin, ['--for', 'workbench'], 60);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^code-server needs the Debian packages ripgrep .*\(its search tool and native modules\): installing them with apt-get\.$/m);
  const install = readFileSync(m.calls, 'utf8').trim().split('\n')[1]!;
  assert.equal(install, `apt-get install -y -qq --no-install-recommends ripgrep${gssapi ? '' : ' libkrb5-dev'} pkg-config`);
  assert.equal(run(m.bin, ['--for', 'browser'], 60).status, 2);
});

test('for the tests (the default): chromium, curl, Slurm and munge too; without root it names them and changes nothing', () => {
  const m = machine(0, 1000);
  const r = run(m.bin, [], 60);
  assert.equal(r.status, 1);
  // This stand-in machine has no dpkg: Mesa's Vulkan drivers (for the WebGPU tests) count as missing too.
  assert.match(r.stderr, /^install-system-deps: missing ripgrep .*pkg-config chromium curl slurm-wlm munge mesa-vulkan-drivers libvulkan1; install these Debian packages \(as root: apt-get install ripgrep .*munge; Mesa 23 or newer, on Debian 12 from backports: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1\)$/m);
  assert.equal(existsSync(m.calls), false);
});
