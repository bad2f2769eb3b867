"""A straightforward NumPy implementation of one simulation run (benchmark reference only).

Same run as `secreview simulate` with defaults: 1,000,000 rows, 20 inputs, generator 20-15-15-15-1,
predictability 1.0, balance log(0.01/0.99), 200 random start rows shared by the strategies, then 20
iterations of: fit a fresh 20-15-15-15-2 ReLU classifier (Adam lr 0.01, Keras defaults, batch 128,
10 epochs), score the pool (loss on all rows), add the 200 best unlabeled rows per strategy.
Prints JSON: seconds and the final identification rate per strategy.
Usage: python3 simulate_numpy.py [--rows N] [--iterations N] [--epochs N] [--seed S]
"""
import argparse
import json
import time

import numpy as np


def relu(z):
    return np.maximum(z, 0)


def init_generator(rng, sizes):
    layers = []
    for l in range(len(sizes) - 1):
        w = rng.normal(0, np.sqrt(2 / sizes[l]), (sizes[l], sizes[l + 1])).astype(np.float32)
        b = rng.normal(0, 1, sizes[l + 1]).astype(np.float32) if l < len(sizes) - 2 else np.zeros(sizes[l + 1], np.float32)
        layers.append((w, b))
    return layers


def init_glorot(rng, sizes):
    layers = []
    for l in range(len(sizes) - 1):
        limit = np.sqrt(6 / (sizes[l] + sizes[l + 1]))
        layers.append((rng.uniform(-limit, limit, (sizes[l], sizes[l + 1])).astype(np.float32), np.zeros(sizes[l + 1], np.float32)))
    return layers


def forward(layers, x):
    a = x
    for i, (w, b) in enumerate(layers):
        a = a @ w + b
        if i < len(layers) - 1:
            a = relu(a)
    return a


def fit(layers, x, y, epochs, batch, lr, rng, beta1=0.9, beta2=0.999, eps=1e-7):
    params = [p for wb in layers for p in wb]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    n = len(x)
    t = 0
    onehot = np.eye(2, dtype=np.float32)[y]
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            xb, yb = x[idx], onehot[idx]
            acts = [xb]
            for i in range(0, len(params), 2):
                z = acts[-1] @ params[i] + params[i + 1]
                acts.append(relu(z) if i < len(params) - 2 else z)
            logits = acts[-1]
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            delta = (e / e.sum(axis=1, keepdims=True) - yb) / len(idx)
            grads = [None] * len(params)
            for i in range(len(params) - 2, -1, -2):
                grads[i] = acts[i // 2].T @ delta
                grads[i + 1] = delta.sum(axis=0)
                if i > 0:
                    delta = (delta @ params[i].T) * (acts[i // 2] > 0)
            t += 1
            alpha = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
            for k, g in enumerate(grads):
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                params[k] -= alpha * m[k] / (np.sqrt(v[k]) + eps)
    return [(params[i], params[i + 1]) for i in range(0, len(params), 2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rows', type=int, default=1_000_000)
    ap.add_argument('--iterations', type=int, default=20)
    ap.add_argument('--increment', type=int, default=200)
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    c0 = time.process_time()
    rng = np.random.default_rng(args.seed)
    n = args.rows
    x = rng.standard_normal((n, 20), dtype=np.float32)
    gen = init_generator(rng, [20, 15, 15, 15, 1])
    raw = forward(gen, x)[:, 0]
    logits = (raw - raw.mean()) / raw.std() * 1.0 + np.log(0.01 / 0.99)
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(np.int64)
    start = rng.integers(0, n, 200)
    strategies = ['rare', 'entropy', 'random', 'majority']
    labeled = {s: list(start) for s in strategies}
    taken = {s: np.zeros(n, bool) for s in strategies}
    for s in strategies:
        taken[s][start] = True
    for it in range(args.iterations):
        init = init_glorot(np.random.default_rng([args.seed, it]), [20, 15, 15, 15, 2])
        for s in strategies:
            rows = np.array(labeled[s])
            model = fit([(w.copy(), b.copy()) for w, b in init], x[rows], y[rows], args.epochs, 128, 0.01, np.random.default_rng([args.seed, it, 1]))
            out = forward(model, x)
            d = out[:, 1] - out[:, 0]
            _loss = np.mean(np.logaddexp(0, d) - y * d)
            if s == 'random':
                free = np.flatnonzero(~taken[s])
                pick = rng.choice(free, args.increment, replace=False)
            else:
                score = d if s == 'rare' else (-d if s == 'majority' else -np.abs(d))
                score = np.where(taken[s], -np.inf, score)
                pick = np.argpartition(-score, args.increment)[:args.increment]
            taken[s][pick] = True
            labeled[s].extend(pick.tolist())
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    rates = {s: float(y[np.array(labeled[s])].mean()) for s in strategies}
    print(json.dumps({'seconds': seconds, 'cpuSeconds': cpu_seconds, 'rows': n, 'iterations': args.iterations, 'numpy': np.__version__, 'identificationRate': rates}))


if __name__ == '__main__':
    main()
