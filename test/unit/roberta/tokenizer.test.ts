import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { robertaTokenizerJson } from '../../helpers/robertaFixtures';
import { RobertaTokenizer, prefixForTokens } from '../../../python-free-train/roberta/tokenizer';

describe('roberta tokenizer (byte-level BPE from GPT-2 merges)', () => {
  const full = RobertaTokenizer.fromJson(robertaTokenizerJson(50256));

  it('encodes as RoBERTa does: <s> GPT-2 ids shifted past the 4 special tokens </s>', () => {
    // GPT-2: "Hello" = 15496, " world" = 995, "!" = 0.
    assert.deepEqual(full.encode('Hello world!'), [0, 15496 + 4, 995 + 4, 0 + 4, 2]);
    assert.deepEqual(full.special, { cls: 0, sep: 2, pad: 1 });
    assert.equal(full.decode(full.encode('Use `hmac.compare_digest` — not ==')), 'Use `hmac.compare_digest` — not ==');
  });

  it('matches special tokens written in a review as those tokens, as Hugging Face does by default', () => {
    // Hugging Face: "a <pad> b" -> <s> a Ġ <pad> Ġb </s>; <mask> takes the space before it (lstrip), the others do not.
    const mask = 4 + 50256;
    assert.deepEqual(full.encode('a <pad> b'), [0, 68, 224, 1, 279, 2]);
    assert.deepEqual(full.encode('a <s> b'), [0, 68, 224, 0, 279, 2]);
    assert.deepEqual(full.encode('a </s> b'), [0, 68, 224, 2, 279, 2]);
    assert.deepEqual(full.encode('a <unk> b'), [0, 68, 224, 3, 279, 2]);
    assert.deepEqual(full.encode('a <mask> b'), [0, 68, mask, 279, 2]);
    assert.deepEqual(full.encode('a<pad>b'), [0, 68, 1, 69, 2]);
    const review = 'Escape user input: `<s>`, </s>, <pad>, <unk> and <mask> in a comment end up in the HTML.';
    const ids = full.encode(review);
    for (const id of [0, 2, 1, 3, mask]) assert.equal(ids.slice(1, -1).filter((x) => x === id).length, 1, `special id ${id} once inside the text`);
    // The <pad> inside the text is a token of the text: attention mask 1 (its position is Hugging Face's business: see the encoder).
    const b = full.encodeBatch([review, 'LGTM']);
    const at = ids.indexOf(1);
    assert.equal(b.inputIds[at], 1n);
    assert.equal(b.attentionMask[at], 1n);
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
    assert.ok(ids.every((id) => id >= 0 && id < 505));
    assert.equal(small.decode(ids), 'Hello world, this is a SQL injection');
    const json = robertaTokenizerJson(300) as { added_tokens: { content: string }[]; model: { vocab: Record<string, number> } };
    json.added_tokens = json.added_tokens.filter((t) => t.content !== '<s>');
    delete json.model.vocab['<s>'];
    assert.throws(() => RobertaTokenizer.fromJson(json), /has no "<s>" token \(is this a RoBERTa tokenizer\?\)/);
  });
});
