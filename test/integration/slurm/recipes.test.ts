/**
 * The scale-out recipe files are what docs/scale-out.md shows, and they call the CLI as it is: the
 * Slurm script's secreview flags and the Kubernetes manifest's command are checked against the
 * commands' options, the manifest's structure against what an Indexed Job over a shared workspace
 * needs (no cluster runs it here), and the script is valid bash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEVICE_CHOICES } from '../../../python-free-train/backend';
import { embedCommand } from '../../../src/cli/commands/embed';
import { scoreCommand } from '../../../src/cli/commands/score';
import type { CliCommand } from '../../../src/cli/types';
import { repoRoot } from '../trainer/helpers';

const DOC = readFileSync(path.join(repoRoot, 'docs', 'scale-out.md'), 'utf8');
const SBATCH = path.join(repoRoot, 'docs', 'scale-out', 'slurm-shards.sbatch');
const MANIFEST = path.join(repoRoot, 'docs', 'scale-out', 'indexed-job.yaml');

/** The bodies of the doc's fenced code blocks of a language. */
function fenced(lang: string): string[] {
  return [...DOC.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);
}

/** Checks that every `--flag` in `args` is an option of `command`. */
function assertFlagsExist(command: CliCommand, args: readonly string[], where: string): void {
  for (const a of args.filter((x) => x.startsWith('--'))) {
    assert.ok(a.slice(2) in command.options, `${where}: secreview ${command.name} has no option ${a}`);
  }
}

test('docs/scale-out.md shows the Slurm script and the Kubernetes manifest verbatim', () => {
  assert.ok(fenced('sh').includes(readFileSync(SBATCH, 'utf8')), 'docs/scale-out.md has a ```sh block equal to docs/scale-out/slurm-shards.sbatch');
  assert.ok(fenced('yaml').includes(readFileSync(MANIFEST, 'utf8')), 'docs/scale-out.md has a ```yaml block equal to docs/scale-out/indexed-job.yaml');
});

test('the Slurm script is valid bash, its array matches its shard count, and its secreview commands use existing flags', () => {
  const text = readFileSync(SBATCH, 'utf8');
  const syntax = spawnSync('bash', ['-n', SBATCH], { encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
  const array = /^#SBATCH --array=0-(\d+)(%\d+)?$/m.exec(text);
  const shards = /^SHARDS=\$\{SHARDS:-(\d+)\}/m.exec(text);
  assert.ok(array && shards, 'an #SBATCH --array=0-(N-1) line and a SHARDS default');
  assert.equal(Number(array[1]) + 1, Number(shards[1]), 'the array runs 0..SHARDS-1');
  const commands = { embed: embedCommand, score: scoreCommand };
  for (const [step, command] of Object.entries(commands)) {
    const line = new RegExp(`^\\s*${step}\\) exec secreview ${step} (.*) ;;$`, 'm').exec(text);
    assert.ok(line, `the script runs "secreview ${step}"`);
    const args = line[1]!.split(/\s+/);
    assertFlagsExist(command, args, `slurm-shards.sbatch (${step})`);
    assert.equal(args[args.indexOf('--shard') + 1], '"$SLURM_ARRAY_TASK_ID/$SHARDS"');
    assert.equal(args[args.indexOf('--device') + 1], '"$DEVICE"');
  }
  assert.match(text, /^#SBATCH --output=\S*%A_%a\S*$/m, 'one output file per array task');
});

test('the Kubernetes manifest is an Indexed Job whose pods embed shard auto/N of a workspace on a shared volume', () => {
  const job = parse(readFileSync(MANIFEST, 'utf8')) as {
    apiVersion: string; kind: string;
    spec: { completionMode: string; completions: number; parallelism: number; template: { spec: {
      restartPolicy: string;
      containers: { command: string[]; workingDir: string; env?: { name: string; value: string }[]; resources: { requests: { cpu: string } }; volumeMounts: { name: string; mountPath: string }[] }[];
      volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
    } } };
  };
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.kind, 'Job');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.ok(Number.isInteger(job.spec.parallelism) && job.spec.parallelism >= 1 && job.spec.parallelism <= job.spec.completions);
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, 'Never', 'a failed pod is retried per index by the Job, not restarted in place');
  assert.equal(pod.containers.length, 1);
  const [container] = pod.containers;
  const [program, step, ...args] = container!.command;
  assert.equal(program, 'secreview');
  assert.equal(step, 'embed');
  assertFlagsExist(embedCommand, args, 'indexed-job.yaml');
  assert.equal(args[args.indexOf('--shard') + 1], `auto/${job.spec.completions}`, 'the shard count is the number of completions');
  assert.ok((DEVICE_CHOICES as readonly string[]).includes(args[args.indexOf('--device') + 1]!));
  const mount = container!.volumeMounts.find((m) => container!.workingDir.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `the workspace ${container!.workingDir} is on a mounted volume`);
  assert.ok(pod.volumes.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName, 'the volume is a persistent volume claim (ReadWriteMany)');
  const modelFolder = args[args.indexOf('--model') + 1]!;
  assert.ok(container!.volumeMounts.some((m) => modelFolder.startsWith(`${m.mountPath}/`)), 'the model folder is on a mounted volume');
  assert.equal(container!.env?.find((e) => e.name === 'SECREVIEW_THREADS')?.value, container!.resources.requests.cpu, 'onnxruntime threads match the CPU request');
});
