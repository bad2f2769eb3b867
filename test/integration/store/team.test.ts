import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { assignBatch, proposeBootstrapBatch } from '../../../src/store/batches';
import { repairWorkspace } from '../../../src/store/repair';
import type { LabelEvent } from '../../../src/store/labelDb';
import { LABELS, type Label } from '../../../src/core/labels';
import { tempDir, repoRoot } from '../../helpers/tmp';

const demo = path.join(repoRoot, 'demo', 'reviews.jsonl');

/** git with a fixed identity and no user configuration, so the test runs the same anywhere. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', '-c', 'pull.rebase=false', ...args], {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

function commitAll(cwd: string, message: string): void {
  git(cwd, 'add', '-A');
  git(cwd, 'commit', '-q', '-m', message);
}

/** A review's history without the workspace-specific parts (seq numbers and event ids). */
function portable(events: readonly LabelEvent[]): unknown[] {
  return events.map((e) => ({ ...e, seq: undefined, id: undefined, undoes: e.undoes === undefined ? undefined : events.findIndex((x) => x.seq === e.undoes) }));
}

function snapshot(ws: Workspace): Record<string, { label: Label; annotator: string; note?: string }> {
  return Object.fromEntries([...ws.db.current()].map(([id, c]) => [id, { label: c.label, annotator: c.annotator, note: c.note }]));
}

test('an existing labels.json moves to one log per annotator without losing a label, note, undo or time', async () => {
  const folder = tempDir();
  const ws = await Workspace.init(folder, { annotator: 'alice' });
  let before: ReturnType<typeof snapshot>;
  let histories: Map<string, unknown[]>;
  const ids: string[] = [];
  try {
    await ws.importFiles([demo]);
    const { batch } = await proposeBootstrapBatch(ws, { size: 12 });
    ids.push(...batch!.items.map((i) => i.reviewId));
    for (let i = 0; i < ids.length; i++) await ws.db.setLabel({ reviewId: ids[i]!, label: LABELS[i % LABELS.length]!, batchId: batch!.id, note: i === 2 ? 'a note, kept' : undefined });
    await ws.db.setLabel({ reviewId: ids[0]!, label: 'no', annotator: 'bob' });
    await ws.db.setLabel({ reviewId: ids[1]!, label: 'yes' });
    await ws.db.undo();
    before = snapshot(ws);
    histories = new Map(ids.map((id) => [id, portable(ws.db.history(id))]));
    const report = await ws.db.enableTeam();
    assert.equal(report.migrated, ids.length + 3);
    assert.deepEqual(report.logs, ['alice.jsonl', 'bob.jsonl']);
    assert.deepEqual(snapshot(ws), before, 'the same current labels right after the move');
  } finally {
    await ws.close();
  }
  const dir = Workspace.dirOf(folder);
  const labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as { schema: number; team: boolean; events: unknown[]; batches: unknown[] };
  assert.equal(labels.schema, 3);
  assert.equal(labels.team, true);
  assert.deepEqual(labels.events, [], 'labels.json keeps the shared state only');
  assert.equal(labels.batches.length, 1);
  assert.ok(readdirSync(path.join(dir, 'backups')).length >= 1, 'labels.json was backed up before the move');
  assert.match(readFileSync(path.join(dir, '.gitattributes'), 'utf8'), /labels\/\*\.jsonl merge=union/);
  // Reopened (by anyone): the same labels and histories, from the logs alone.
  const again = await Workspace.open(folder, { annotator: 'carol' });
  try {
    assert.equal(again.db.teamMode, true);
    assert.deepEqual(snapshot(again), before);
    for (const id of ids) assert.deepEqual(portable(again.db.history(id)), histories.get(id), `history of ${id}`);
    // Undo reverts only one's own labels: carol has none.
    assert.equal(await again.db.undo(), undefined);
    assert.deepEqual(snapshot(again), before);
  } finally {
    await again.close();
  }
});

test('two annotators label clones of one workspace, merge through git without a conflict, and lose nothing', async () => {
  const origin = tempDir();
  const lead = await Workspace.init(origin, { annotator: 'alice' });
  let batchId: string;
  let coders: Record<string, string[]>;
  try {
    await lead.importFiles([demo]);
    const { batch } = await proposeBootstrapBatch(lead, { size: 20 });
    batchId = batch!.id;
    // Labels from before team mode, then the move, then a double-coded batch with a 50% overlap.
    await lead.db.setLabel({ reviewId: lead.pool.idOf(0), label: 'no' });
    await lead.db.enableTeam();
    coders = (await assignBatch(lead, batchId, { annotators: ['alice', 'bob'], overlap: 0.5, seed: 7 })).assignment!.coders;
  } finally {
    await lead.close();
  }
  const overlap = Object.entries(coders).filter(([, c]) => c.length === 2).map(([id]) => id);
  assert.equal(overlap.length, 10, 'half of the 20 reviews are coded by both');
  assert.ok(Object.values(coders).every((c) => c.length === 1 || c.length === 2));
  git(origin, 'init', '-q');
  commitAll(origin, 'workspace with an assigned batch');
  assert.equal(git(origin, 'ls-files', '.secreview/pool').trim(), '', 'the pool is not versioned');

  // Bob clones it and imports the same reviews (the pool is local to each clone).
  const bobDir = path.join(tempDir(), 'bob');
  git(path.dirname(bobDir), 'clone', '-q', origin, bobDir);
  const bob = await Workspace.init(bobDir, { annotator: 'bob' });
  const alice = await Workspace.open(origin, { annotator: 'alice' });
  const mine = (who: string) => Object.entries(coders).filter(([, c]) => c.includes(who)).map(([id]) => id);
  // They disagree on every other overlap review.
  const labelOf = (who: string, id: string): Label => (who === 'bob' && overlap.indexOf(id) % 2 === 1 ? 'yes' : 'no');
  try {
    await bob.importFiles([demo]);
    for (const id of mine('alice')) await alice.db.setLabel({ reviewId: id, label: labelOf('alice', id), batchId });
    for (const id of mine('bob')) await bob.db.setLabel({ reviewId: id, label: labelOf('bob', id), batchId, note: `bob on ${id}` });
    // Bob changes his mind once and undoes it: only his own label is reverted.
    await bob.db.setLabel({ reviewId: overlap[0]!, label: 'unclear', batchId });
    const undone = await bob.db.undo();
    assert.equal(undone?.annotator, 'bob');
    assert.equal(bob.db.labelBy(overlap[0]!, 'bob')?.label, 'no');
  } finally {
    await bob.close();
  }
  commitAll(bobDir, 'bob labels his queue');
  // Alice commits while her window is still open, then pulls bob's work into the same folder.
  commitAll(origin, 'alice labels her queue');
  const aliceEvents = alice.db.events().length;
  git(origin, 'pull', '-q', '--no-edit', bobDir, 'main');
  assert.equal(git(origin, 'diff', '--name-only', '--diff-filter=U').trim(), '', 'no file in conflict');
  assert.deepEqual(readdirSync(path.join(Workspace.dirOf(origin), 'labels')).sort(), ['alice.jsonl', 'bob.jsonl']);
  // Her open database sees the pull before its next write, so that write replaces nothing of bob's.
  await alice.db.setLabel({ reviewId: alice.pool.idOf(1), label: 'no' });
  try {
    const bobEvents = mine('bob').length + 2;
    assert.equal(alice.db.events().length, aliceEvents + bobEvents + 1, 'every event of both annotators');
    for (const id of Object.keys(coders)) {
      for (const who of coders[id]!) assert.equal(alice.db.labelBy(id, who)?.label, labelOf(who, id), `${who}'s label on ${id}`);
    }
    // Disagreements wait for adjudication; a decision keeps both originals and names who decided.
    const disputes = alice.db.adjudicationQueue('annotators');
    assert.deepEqual(disputes.map((d) => d.reviewId).sort(), overlap.filter((_, i) => i % 2 === 1).sort());
    const first = disputes[0]!;
    assert.deepEqual(first.codings, [{ annotator: 'alice', label: 'no' }, { annotator: 'bob', label: 'yes' }]);
    const decision = await alice.db.adjudicate({ reviewId: first.reviewId, label: 'yes' });
    assert.equal(decision.annotator, 'alice');
    assert.equal(decision.source, 'adjudication');
    assert.deepEqual(decision.originals, first.codings);
    assert.equal(alice.db.labelOf(first.reviewId)?.label, 'yes');
    assert.equal(alice.db.adjudicationQueue('annotators').length, disputes.length - 1);
    assert.deepEqual(alice.db.codings(first.reviewId), first.codings, 'the original codings are kept');
  } finally {
    await alice.close();
  }
  commitAll(origin, 'alice adjudicates');
  git(bobDir, 'pull', '-q', '--no-edit', origin, 'main');
  // Both clones now derive the same labels from the same logs.
  const a = await Workspace.open(origin, { readOnly: true });
  const b = await Workspace.open(bobDir, { readOnly: true });
  try {
    assert.deepEqual(snapshot(b), snapshot(a));
    assert.deepEqual(b.db.events().map((e) => e.id), a.db.events().map((e) => e.id), 'the same merged order in both clones');
  } finally {
    await a.close();
    await b.close();
  }
});

test('one annotator labeling from two clones merges through git (the logs merge as a union)', async () => {
  const origin = tempDir();
  const ws = await Workspace.init(origin, { annotator: 'alice' });
  try {
    await ws.importFiles([demo]);
    await ws.db.enableTeam();
    await ws.db.setLabel({ reviewId: ws.pool.idOf(0), label: 'no' });
  } finally {
    await ws.close();
  }
  git(origin, 'init', '-q');
  commitAll(origin, 'start');
  const laptop = path.join(tempDir(), 'laptop');
  git(path.dirname(laptop), 'clone', '-q', origin, laptop);
  const there = await Workspace.init(laptop, { annotator: 'alice' });
  const here = await Workspace.open(origin, { annotator: 'alice' });
  try {
    await there.importFiles([demo]);
    for (let i = 1; i <= 5; i++) await there.db.setLabel({ reviewId: there.pool.idOf(i), label: 'yes' });
    for (let i = 6; i <= 10; i++) await here.db.setLabel({ reviewId: here.pool.idOf(i), label: 'no' });
    await here.db.setLabel({ reviewId: here.pool.idOf(0), label: 'unclear' });
  } finally {
    await there.close();
    await here.close();
  }
  commitAll(laptop, 'labels on the laptop');
  commitAll(origin, 'labels here');
  git(origin, 'pull', '-q', '--no-edit', laptop, 'main');
  assert.equal(git(origin, 'status', '--porcelain').trim(), '', 'merged cleanly');
  const merged = await Workspace.open(origin, { readOnly: true });
  try {
    assert.equal(merged.db.current().size, 11);
    for (let i = 1; i <= 5; i++) assert.equal(merged.db.labelOf(merged.pool.idOf(i))?.label, 'yes');
    for (let i = 6; i <= 10; i++) assert.equal(merged.db.labelOf(merged.pool.idOf(i))?.label, 'no');
    assert.equal(merged.db.labelOf(merged.pool.idOf(0))?.label, 'unclear');
    assert.equal(merged.db.events().length, 12);
  } finally {
    await merged.close();
  }
  assert.ok(existsSync(path.join(Workspace.dirOf(origin), 'labels', 'alice.jsonl')));
});

test('a damaged log line is reported with its file and line, and nothing is written over it', async () => {
  const folder = tempDir();
  const ws = await Workspace.init(folder, { annotator: 'alice' });
  await ws.importFiles([demo]);
  await ws.db.enableTeam();
  await ws.db.setLabel({ reviewId: ws.pool.idOf(0), label: 'no' });
  await ws.close();
  const log = path.join(Workspace.dirOf(folder), 'labels', 'alice.jsonl');
  const text = readFileSync(log, 'utf8');
  writeFileSync(log, `${text}<<<<<<< HEAD\n`);
  await assert.rejects(Workspace.open(folder, { annotator: 'alice' }), /alice\.jsonl: line 2: not a JSON record/);
  assert.equal(readFileSync(log, 'utf8'), `${text}<<<<<<< HEAD\n`);
});

test('a relabel by someone else outside an assigned overlap is a correction, not a second coding: no agreement pair, no disagreement', async () => {
  const folder = tempDir();
  const ws = await Workspace.init(folder, { annotator: 'root' });
  try {
    await ws.importFiles([demo]);
    const id = ws.pool.idOf(0);
    await ws.db.setLabel({ reviewId: id, label: 'no' });
    // The same person after their git user.name became their default annotator.
    await ws.db.setLabel({ reviewId: id, label: 'yes', annotator: 'Jane Doe' });
    assert.equal(ws.db.labelOf(id)?.label, 'yes');
    assert.deepEqual(ws.db.codedByMany(), []);
    assert.deepEqual(ws.db.adjudicationQueue(), []);
  } finally {
    await ws.close();
  }
});

test('a damaged labels.json of a team workspace is repaired as a team one: batches and assignment back, every label still in the logs', async () => {
  const folder = tempDir();
  const ws = await Workspace.init(folder, { annotator: 'alice' });
  let before: ReturnType<typeof snapshot>;
  try {
    await ws.importFiles([demo]);
    await ws.db.setLabel({ reviewId: ws.pool.idOf(0), label: 'no' });
    await ws.db.enableTeam();
    const { batch } = await proposeBootstrapBatch(ws, { size: 6 });
    await assignBatch(ws, batch!.id, { annotators: ['alice', 'bob'], overlap: 0.5, seed: 1 });
    await ws.db.setLabel({ reviewId: batch!.items[0]!.reviewId, label: 'yes', batchId: batch!.id });
    before = snapshot(ws);
  } finally {
    await ws.close();
  }
  const file = path.join(Workspace.dirOf(folder), 'labels.json');
  writeFileSync(file, readFileSync(file, 'utf8').slice(0, 60));
  await assert.rejects(Workspace.open(folder, { annotator: 'alice' }), /labels\.json/);
  await repairWorkspace(folder, { owner: 'test' });
  const again = await Workspace.open(folder, { annotator: 'alice' });
  try {
    assert.equal(again.db.teamMode, true);
    assert.equal(again.db.data.schema, 3);
    assert.ok(again.db.batches()[0]?.assignment, 'the assigned batch is back');
    assert.deepEqual(snapshot(again), before);
  } finally {
    await again.close();
  }
});
