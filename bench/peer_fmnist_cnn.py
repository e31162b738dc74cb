#!/usr/bin/python3
"""The `occam train --preset fmnist-cnn` recipe in PyTorch, for the time-to-accuracy comparison (bench/RESULTS.md).

Same data (the Debian Fashion-MNIST files, pixels / 255, a seeded 90/10 train/validation split), same model
(Conv3x3(1,32,p1)-BN-ReLU-MaxPool2, Conv3x3(32,64,p1)-BN-ReLU-MaxPool2, Flatten, Dropout(d/2), Linear(3136,dense),
ReLU, Dropout(d), Linear(dense,10)), same regularization (L2 penalty l2*sum(w^2) on every conv/linear weight added
to the loss, AdamW with decoupled weight decay on weights only, not on biases or batch-norm parameters, label
smoothing), same augmentation (random horizontal flip, then a random 28x28 crop of the image zero-padded by 2, per
sample), same schedule (cosine annealing per epoch to 0), batch 128, validation each epoch, test at the end.

Prints one line per epoch and, last, JSON: {"seconds": total wall time of training + validation + test,
"test_accuracy": ..., "epochs": ..., "threads": ...}.

Usage: /usr/bin/python3 bench/peer_fmnist_cnn.py --threads 2 [--epochs 30] [--dense 256] [--root DIR]
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
from torch_threads import set_threads  # before torch: see there
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, kind):
    def find(stem):
        for name in (stem + ".gz", stem):
            if os.path.exists(os.path.join(root, name)):
                return os.path.join(root, name)
        raise FileNotFoundError(f"{stem} not found under {root}")
    x = read_idx(find(f"{kind}-images-idx3-ubyte")).astype(np.float32) / 255.0
    y = read_idx(find(f"{kind}-labels-idx1-ubyte")).astype(np.int64)
    return torch.from_numpy(x).reshape(-1, 1, 28, 28), torch.from_numpy(y)


def model(dense, dropout):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(dropout / 2), nn.Linear(3136, dense), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(dense, 10))


def augment(x, gen, padding=2):
    """Per-sample random horizontal flip, then a random crop of the zero-padded image (torchvision's
    RandomHorizontalFlip + RandomCrop(28, padding=2) applied to each sample)."""
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, (padding, padding, padding, padding))
    dy = torch.randint(0, 2 * padding + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * padding + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(28)[None, :])  # [n, 28]
    cols = (dx[:, None] + torch.arange(28)[None, :])
    idx = torch.arange(n)[:, None, None]
    return padded[:, 0][idx, rows[:, :, None], cols[:, None, :]].unsqueeze(1)


def evaluate(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 500):
            correct += (net(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum().item()
    net.train()
    return correct / len(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--dense", type=int, default=256)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--l2", type=float, default=1e-5)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--validation", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--root", default=os.environ.get("OCCAM_DATA", "/usr/share/datasets/fashion-mnist"))
    a = p.parse_args()
    set_threads(torch, a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)

    x, y = load(a.root, "train")
    xt, yt = load(a.root, "t10k")
    order = torch.randperm(len(x), generator=gen)
    nval = int(round(len(x) * a.validation))
    xv, yv, xf, yf = x[order[:nval]], y[order[:nval]], x[order[nval:]], y[order[nval:]]

    net = model(a.dense, a.dropout)
    weights = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    decayed = {id(w) for w in weights}
    rest = [q for q in net.parameters() if id(q) not in decayed]
    opt = torch.optim.AdamW([{"params": weights, "weight_decay": a.weight_decay},
                             {"params": rest, "weight_decay": 0.0}], lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=a.label_smoothing)

    start = time.perf_counter()
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xf), generator=gen)
        total, seen = 0.0, 0
        for i in range(0, len(xf), a.batch_size):
            idx = perm[i:i + a.batch_size]
            xb, yb = augment(xf[idx], gen), yf[idx]
            loss = loss_fn(net(xb), yb)
            if a.l2 > 0:
                loss = loss + a.l2 * sum((w * w).sum() for w in weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        sched.step()
        val = evaluate(net, xv, yv)
        print(f"epoch {epoch + 1}/{a.epochs}  loss {total / seen:.4f}  val_accuracy {val:.4f}  "
              f"{time.perf_counter() - t0:.1f}s", flush=True)
    test = evaluate(net, xt, yt)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": round(seconds, 1), "test_accuracy": test, "epochs": a.epochs, "threads": a.threads}))


if __name__ == "__main__":
    main()
