#!/usr/bin/python3
"""Training and inference, side by side: the bench models in PyTorch and `occam bench mlp|cnn`.

Usage: bench/compare_models.sh [--threads 2 1] [--rounds 3] [--samples 60000] [--models mlp cnn]   (builds Occam once, then calls this)
       /usr/bin/python3 bench/peer_models.py --model mlp --threads 2              (one PyTorch run, JSON last line)

Same protocol on both sides: batch 128 of synthetic 1×28×28 inputs U(0, 1) with fixed random labels, batches
built before timing; train mode, AdamW(lr 1e-3, weight decay 0.01), CrossEntropyLoss(label_smoothing 0.1);
50 untimed warm-up steps, then one timed epoch of samples // 128 full batches (drop_last), then eval-mode
inference under no_grad over the same batches. Every timing is its own process; each round times every model at
every thread count on both sides, --rounds times, and the best of each is kept (the machine is shared: a slow
stretch then hits both sides and both thread counts alike). PyTorch runs at the given thread count in OpenMP and
OpenBLAS both (bench/torch_threads.py).

Each round also measures the machine's float32 multiply-add peak (`occam bench peak`), and a second table says
what it allows: the samples/s of the products alone (Linear and Conv2d FLOPs, counted from the PyTorch model) at
that peak, the largest ratio to PyTorch any float32 engine could reach, and each side's share of the peak.

With two or more threads, each round also measures how far apart the first two cores are (`occam bench cores`: a
cache line's round trip, and two threads' pass over the column halves against the row halves of a [128, 512]
matrix), and a third table gives each round's 1 -> 2 thread speed-up beside it: on a virtual machine the two
virtual cores can share a chiplet for a while and sit on two for another, and a step split across them feels it.
"""
import argparse, json, shlex, subprocess, sys, time
from torch_threads import set_threads  # before torch: see there

BATCH = 128


def models(torch):
    nn = torch.nn
    mlp = lambda: nn.Sequential(
        nn.Flatten(), nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10))
    cnn = lambda: nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    return {"mlp": mlp, "cnn": cnn}


def flops_per_sample(torch, model):
    """Multiply-add FLOPs of one sample through the products (Linear, Conv2d): (forward, training step). A step is
    the forward, each weight's gradient (as many again), and each input's gradient but the first layer's."""
    layers = []

    def count(module, inputs, output):
        weight = module.weight
        per_output = weight[0].numel()  # in (Linear), in/groups × kh × kw (Conv2d)
        layers.append(2 * per_output * output[0].numel())

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    forward = sum(layers)
    return forward, 3 * forward - layers[0]


def run_torch(name, threads, samples, warmup):
    import torch
    set_threads(torch, threads)
    torch.manual_seed(0)
    model = models(torch)[name]()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    steps = samples // BATCH
    distinct = min(steps, 64)
    g = torch.Generator().manual_seed(1)
    inputs = [torch.rand(BATCH, 1, 28, 28, generator=g) for _ in range(distinct)]
    labels = [torch.randint(0, 10, (BATCH,), generator=g) for _ in range(distinct)]

    def step(s):
        optimizer.zero_grad(set_to_none=False)
        loss = loss_fn(model(inputs[s % distinct]), labels[s % distinct])
        loss.backward()
        optimizer.step()
        return loss

    model.train()
    for s in range(warmup):
        step(s)
    start = time.perf_counter()
    for s in range(steps):
        loss = step(s)
    loss = loss.item()
    train = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        for s in range(min(10, steps)):
            model(inputs[s % distinct])
        start = time.perf_counter()
        for s in range(steps):
            model(inputs[s % distinct])
        infer = time.perf_counter() - start
    print(f"torch {name} threads={threads}: {steps} steps, {train / steps * 1e3:.2f} ms/step, last loss {loss:.4f}")
    forward, training = flops_per_sample(torch, model)
    print(json.dumps({"bench": name, "threads": threads, "samples_per_s": round(steps * BATCH / train, 1),
                      "inference_samples_per_s": round(steps * BATCH / infer, 1),
                      "forward_flops": forward, "train_flops": training}))


def last_json(args):
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare(args):
    peer = [sys.executable, __file__]
    best = {}  # (name, threads) -> (ours, theirs), best of the rounds per key
    # Rounds outermost: every (model, threads, side) gets one timing per round, so a slow stretch of the shared
    # machine hits both sides and both thread counts alike (the 1 -> 2 thread ratios compare the same periods).
    peak = {}  # threads -> best float32 FMA peak in GFLOP/s (`occam bench peak`)
    per_round = []  # per round: (`occam bench cores` or None, {(name, threads): Occam training samples/s})
    for _ in range(args.rounds):
        cores = last_json(shlex.split(args.occam) + ["bench", "cores"]) if max(args.threads) >= 2 else None
        if cores:
            print(f"  cores: round trip {cores['round_trip_ns']:.0f} ns, column / row halves {cores['column_halves_us']:.1f} / "
                  f"{cores['row_halves_us']:.1f} us", file=sys.stderr, flush=True)
        per_round.append((cores, {}))
        for threads in args.threads:
            gflops = last_json(shlex.split(args.occam) + ["bench", "peak", "--threads", str(threads)])["gflops"]
            peak[threads] = max(peak.get(threads, 0), gflops)
            for name in args.models:
                common = ["--threads", str(threads), "--samples", str(args.samples), "--warmup", str(args.warmup)]
                theirs = last_json(peer + ["--model", name] + common)
                ours = last_json(shlex.split(args.occam) + ["bench", name] + common)
                print(f"  {name} T={threads}: occam {ours['samples_per_s']:.0f} / {ours['inference_samples_per_s']:.0f}, "
                      f"torch {theirs['samples_per_s']:.0f} / {theirs['inference_samples_per_s']:.0f} samples/s (train / infer), "
                      f"{ours['alloc_bytes_per_step']} B/step, gen2 {ours['gen2_collections']}", file=sys.stderr, flush=True)
                per_round[-1][1][name, threads] = ours["samples_per_s"]
                if (name, threads) not in best:
                    best[name, threads] = (dict(ours), dict(theirs))
                    continue
                best_ours, best_theirs = best[name, threads]
                for key in ["samples_per_s", "inference_samples_per_s"]:
                    best_ours[key] = max(best_ours[key], ours[key])
                    best_theirs[key] = max(best_theirs[key], theirs[key])
                best_ours["alloc_bytes_per_step"] = max(best_ours["alloc_bytes_per_step"], ours["alloc_bytes_per_step"])
                best_ours["gen2_collections"] = max(best_ours["gen2_collections"], ours["gen2_collections"])
    rows = [(name, threads, *best[name, threads]) for threads in args.threads for name in args.models]
    print(f"\nbest of {args.rounds} alternating runs per side, {args.samples // BATCH} steps of {BATCH}\n")
    print("| model | threads | Occam train samples/s | PyTorch train samples/s | train ratio | Occam infer samples/s | PyTorch infer samples/s | infer ratio | Occam alloc B/step | Occam gen-2 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, threads, o, t in rows:
        print(f"| {name} | {threads} | {o['samples_per_s']:.0f} | {t['samples_per_s']:.0f} | {o['samples_per_s'] / t['samples_per_s']:.2f} | "
              f"{o['inference_samples_per_s']:.0f} | {t['inference_samples_per_s']:.0f} | {o['inference_samples_per_s'] / t['inference_samples_per_s']:.2f} | "
              f"{o['alloc_bytes_per_step']} | {o['gen2_collections']} |")
    for name in args.models:
        by_threads = {threads: o for n, threads, o, _ in rows if n == name}
        if 1 in by_threads and 2 in by_threads:
            print(f"\n{name}: Occam training 1 → 2 threads: {by_threads[2]['samples_per_s'] / by_threads[1]['samples_per_s']:.2f}×", end="")
            theirs = {threads: t for n, threads, _, t in rows if n == name}
            print(f" (PyTorch {theirs[2]['samples_per_s'] / theirs[1]['samples_per_s']:.2f}×)")
    print_ceiling(rows, peak)
    print_cores(per_round, args.models)


def print_cores(per_round, models):
    """Each round's distance between the two cores beside its 1 -> 2 thread speed-up of Occam's training."""
    if not per_round or per_round[0][0] is None:
        return
    scaling = [name for name in models if (name, 1) in per_round[0][1] and (name, 2) in per_round[0][1]]
    print("\ncores per round (`occam bench cores`) beside Occam's training 1 -> 2 threads in that round\n")
    print("| round | cache-line round trip, ns | two threads on column halves, µs/pass | on row halves, µs/pass | "
          + " | ".join(f"{name} 1 → 2" for name in scaling) + " |")
    print("|---:|---:|---:|---:|" + "---:|" * len(scaling))
    for number, (cores, speed) in enumerate(per_round, 1):
        print(f"| {number} | {cores['round_trip_ns']:.0f} | {cores['column_halves_us']:.1f} | {cores['row_halves_us']:.1f} | "
              + " | ".join(f"{speed[name, 2] / speed[name, 1]:.2f}×" for name in scaling) + " |")


def print_ceiling(rows, peak):
    """What the machine allows: the products alone at the float32 FMA peak, and how far each side is from it."""
    print(f"\nfloat32 FMA peak (`occam bench peak`, best of the rounds): "
          + ", ".join(f"{peak[t]:.0f} GFLOP/s at {t} thread{'s' if t > 1 else ''}" for t in sorted(peak)))
    print("\n| model | threads | inference at the peak, samples/s | ceiling infer ratio | Occam infer, % of peak | PyTorch infer, % of peak "
          "| training at the peak, samples/s | ceiling train ratio | Occam train, % of peak | PyTorch train, % of peak |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, threads, o, t in rows:
        infer_cap = peak[threads] * 1e9 / t["forward_flops"]
        train_cap = peak[threads] * 1e9 / t["train_flops"]
        print(f"| {name} | {threads} | {infer_cap:.0f} | {infer_cap / t['inference_samples_per_s']:.2f} | "
              f"{100 * o['inference_samples_per_s'] / infer_cap:.0f} | {100 * t['inference_samples_per_s'] / infer_cap:.0f} | "
              f"{train_cap:.0f} | {train_cap / t['samples_per_s']:.2f} | "
              f"{100 * o['samples_per_s'] / train_cap:.0f} | {100 * t['samples_per_s'] / train_cap:.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["mlp", "cnn"], help="one PyTorch run of this model")
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1, help="best of this many alternating timings per side")
    parser.add_argument("--models", nargs="+", choices=["mlp", "cnn"], default=["mlp", "cnn"], help="models to compare (compare mode)")
    parser.add_argument("--occam", help="command that runs the occam CLI (compare mode)")
    args = parser.parse_args()
    if args.model:
        run_torch(args.model, args.threads[0], args.samples, args.warmup)
    elif args.occam:
        compare(args)
    else:
        parser.error("give --model (one PyTorch run) or --occam (side-by-side table)")


if __name__ == "__main__":
    main()
