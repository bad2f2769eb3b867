import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpinionPrompt, collectOpinions, isDisagreement, parseVote, summarizeVotes, type LanguageModelClient } from '../../../src/core/secondOpinion';
import type { Review } from '../../../src/core/review';

const review: Review = { id: '1', url: 'u', repo: 'o/r', pull: 2, path: 'A.java', body: 'This concatenates user input into SQL.', diffHunk: '@@ -1 +1 @@\n+q = "SELECT " + x;' };

test('the prompt carries the guidelines, the review and the answer format', () => {
  const p = buildOpinionPrompt(review);
  assert.match(p.system, /yes: Potential Security Defect\. The review discusses a potential security defect/);
  assert.match(p.system, /LABEL: <yes\|no\|unclear>/);
  assert.doesNotMatch(p.system, /Non-English/);
  assert.match(p.user, /pull request #2, file A\.java/);
  assert.match(p.user, /SELECT/);
});

test('votes are read from the last LABEL line or a JSON field', () => {
  assert.deepEqual(parseVote('User input reaches SQL.\nLABEL: yes'), { label: 'yes', reasoning: 'User input reaches SQL.' });
  assert.equal(parseVote('label: no\nOn second thought...\n**Label:** unclear').label, 'unclear');
  assert.equal(parseVote('{"label": "no", "why": "style"}').label, 'no');
  assert.equal(parseVote('I cannot tell.').label, undefined);
  assert.equal(parseVote('LABEL: bot').label, undefined, 'labels outside the allowed set do not count');
});

test('vote summaries, ties and disagreements', () => {
  const s = summarizeVotes([{ label: 'yes', reasoning: '' }, { label: 'yes', reasoning: '' }, { label: 'no', reasoning: '' }, { reasoning: 'none' }]);
  assert.deepEqual(s.counts, { yes: 2, no: 1 });
  assert.equal(s.valid, 3);
  assert.equal(s.majority, 'yes');
  assert.ok(Math.abs(s.agreement - 2 / 3) < 1e-12);
  assert.equal(isDisagreement('no', s), true);
  assert.equal(isDisagreement('yes', s), false);
  assert.equal(isDisagreement('no', s, 0.8), false, 'below the required agreement');
  const tie = summarizeVotes([{ label: 'yes', reasoning: '' }, { label: 'no', reasoning: '' }]);
  assert.equal(tie.majority, undefined);
  assert.equal(isDisagreement('unclear', tie), false);
});

test('collects n samples per review, reports progress, survives failures, stops on cancel', async () => {
  let calls = 0;
  const client: LanguageModelClient = {
    name: 'double',
    async complete(prompt) {
      calls++;
      if (calls % 5 === 0) throw new Error('rate limited');
      return prompt.user.includes('SQL') ? 'injection\nLABEL: yes' : 'LABEL: no';
    },
  };
  const progress: number[] = [];
  const saved: string[] = [];
  const results = await collectOpinions(
    [{ review, label: 'no' }, { review: { ...review, id: '2', body: 'rename this' }, label: 'no' }],
    client,
    { samples: 4, signal: new AbortController().signal, onProgress: (d) => progress.push(d), onResult: (r) => { saved.push(r.reviewId); } },
  );
  assert.equal(calls, 8);
  assert.deepEqual(progress.at(-1), 8);
  assert.deepEqual(saved, ['1', '2']);
  assert.equal(results[0]!.disagreement, true);
  assert.equal(results[0]!.summary.majority, 'yes');
  assert.equal(results[0]!.votes.length + results[0]!.failures, 4);
  assert.equal(results[1]!.disagreement, false);

  const ctrl = new AbortController();
  let n = 0;
  const slow: LanguageModelClient = { name: 's', async complete() { if (++n === 3) ctrl.abort(); return 'LABEL: yes'; } };
  const partial = await collectOpinions([{ review, label: 'no' }, { review: { ...review, id: '3' }, label: 'no' }], slow, { samples: 4, signal: ctrl.signal, concurrency: 1 });
  assert.equal(partial.length, 0, 'an incomplete review is not reported as a result');
  assert.ok(n <= 4);
  await assert.rejects(collectOpinions([], client, { samples: 0, signal: ctrl.signal }), /positive whole number/);
});
