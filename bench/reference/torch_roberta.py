"""PyTorch peer of the encoder and fine-tuning benchmarks (benchmark reference only, never a
dependency of the tool): a random-initialized RoBERTa-base from `transformers`, eager mode, on the
GPU when there is one.

Prints JSON: inference texts/s at 64 tokens and batch 32 in fp32 and bf16 (autocast), and the
seconds of one training step of the whole model (AdamW, batch 32, 64 tokens, dropout 0.1) in fp32
and bf16 autocast, with the seconds that an epoch over 4,000 texts would take at that rate.
Usage: python3 torch_roberta.py [--batch 32] [--tokens 64] [--runs 10] [--texts 4000]
"""
import argparse
import json
import time

import torch
from transformers import RobertaConfig, RobertaForSequenceClassification


def timed(fn, runs, sync):
    fn()
    sync()
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--texts", type=int, default=4000)
    a = ap.parse_args()
    cuda = torch.cuda.is_available()
    dev = torch.device("cuda" if cuda else "cpu")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    torch.manual_seed(0)
    config = RobertaConfig(num_labels=4)  # roberta-base's shape: 12 layers, 768 hidden, vocabulary 50265
    model = RobertaForSequenceClassification(config).to(dev)
    ids = torch.randint(3, config.vocab_size, (a.batch, a.tokens), device=dev)
    ids[:, 0] = 0
    ids[:, -1] = 2
    mask = torch.ones_like(ids)
    labels = torch.randint(0, 4, (a.batch,), device=dev)
    out = {
        "benchmark": "torch-roberta-peer",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "tf32Matmul": bool(torch.backends.cuda.matmul.allow_tf32) if cuda else None,
        "batch": a.batch, "tokens": a.tokens,
    }

    model.eval()
    with torch.no_grad():
        s = timed(lambda: model(input_ids=ids, attention_mask=mask), a.runs, sync)
        out["inferenceFp32TextsPerSecond"] = round(a.batch / s, 1)
        if cuda:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                s = timed(lambda: model(input_ids=ids, attention_mask=mask), a.runs, sync)
            out["inferenceBf16TextsPerSecond"] = round(a.batch / s, 1)

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)

    def step(autocast):
        opt.zero_grad(set_to_none=True)
        if autocast:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        else:
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()

    steps_per_epoch = -(-a.texts // a.batch)
    s = timed(lambda: step(False), max(3, a.runs // 2), sync)
    out["trainStepFp32Seconds"] = round(s, 4)
    out["epochFp32SecondsFor%dTexts" % a.texts] = round(s * steps_per_epoch, 2)
    if cuda:
        s = timed(lambda: step(True), max(3, a.runs // 2), sync)
        out["trainStepBf16Seconds"] = round(s, 4)
        out["epochBf16SecondsFor%dTexts" % a.texts] = round(s * steps_per_epoch, 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
