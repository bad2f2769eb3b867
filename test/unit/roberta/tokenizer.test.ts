import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { robertaTokenizerJson } from '../../../python-free-train/roberta/fixtures';
import { RobertaTokenizer, prefixForTokens } from '../../../python-free-train/roberta/tokenizer';

describe('roberta tokenizer (byte-level BPE from GPT-2 merges)', () => {
  const full = RobertaTokenizer.fromJson(robertaTokenizerJson(50256));

  it('encodes as RoBERTa does: <s> GPT-2 ids shifted past the 4 special tokens </s>', () => {
    // GPT-2: "Hello" = 15496, " world" = 995, "!" = 0.
    assert.deepEqual(full.encode('Hello world!'), [0, 15496 + 4, 995 + 4, 0 + 4, 2]);
    assert.deepEqual(full.special, { cls: 0, sep: 2, pad: 1 });
    assert.equal(full.decode(full.encode('Use `hmac.compare_digest` — not ==')), 'Use `hmac.compare_digest` — not ==');
  });

  it('truncates to 64 tokens by default, and to a configured length', () => {
    const ids = full.encode('token '.repeat(500));
    assert.equal(ids.length, 64);
    assert.equal(ids[0], 0);
    assert.equal(ids[63], 2);
    assert.equal(full.withMaxTokens(16).encode('token '.repeat(500)).length, 16);
    assert.throws(() => full.withMaxTokens(2), /maxTokens must be an integer >= 3/);
  });

  it('cuts long texts without changing their first tokens', () => {
    const long = `${'The session cookie lacks the Secure flag; '.repeat(200)}${'a'.repeat(5000)}`;
    const cut = prefixForTokens(long, 62);
    assert.ok(cut.length < long.length);
    const raw = full.withMaxTokens(10_000);
    assert.deepEqual(full.encode(long).slice(1, -1), raw.encode(long).slice(1, 63));
    // A long text without spaces falls back to tokenizing all of it.
    const word = 'x'.repeat(3000);
    assert.deepEqual(full.encode(word).slice(1, -1), raw.encode(word).slice(1, 63));
  });

  it('pads a batch to its longest text only, with a 0/1 attention mask', () => {
    const b = full.encodeBatch(['LGTM', 'This allows path traversal via ../', '']);
    assert.equal(b.batch, 3);
    assert.equal(b.seqLen, Math.max(...b.lengths));
    assert.ok(b.seqLen < 64);
    assert.deepEqual(Array.from(b.lengths), [full.encode('LGTM').length, full.encode('This allows path traversal via ../').length, 2]);
    for (let r = 0; r < 3; r++) {
      for (let s = 0; s < b.seqLen; s++) {
        const inText = s < b.lengths[r]!;
        assert.equal(b.attentionMask[r * b.seqLen + s], inText ? 1n : 0n);
        if (!inText) assert.equal(b.inputIds[r * b.seqLen + s], 1n);
      }
    }
  });

  it('works with a truncated vocabulary (merges kept only when their result is known)', () => {
    const small = RobertaTokenizer.fromJson(robertaTokenizerJson(500));
    const ids = small.encode('Hello world, this is a SQL injection');
    assert.ok(ids.every((id) => id >= 0 && id < 504));
    assert.equal(small.decode(ids), 'Hello world, this is a SQL injection');
    const json = robertaTokenizerJson(300) as { added_tokens: { content: string }[]; model: { vocab: Record<string, number> } };
    json.added_tokens = json.added_tokens.filter((t) => t.content !== '<s>');
    delete json.model.vocab['<s>'];
    assert.throws(() => RobertaTokenizer.fromJson(json), /has no "<s>" token \(is this a RoBERTa tokenizer\?\)/);
  });
});
