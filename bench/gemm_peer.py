#!/usr/bin/python3
"""SGEMM side by side: PyTorch (torch.matmul, float32) and `occam bench gemm` on the same shapes.

Usage: bench/compare_gemm.sh [--threads 2 1] [--rounds 3]   (builds Occam once, then calls this)
       /usr/bin/python3 bench/gemm_peer.py --threads 2          (PyTorch only)
Prints a markdown table of GFLOP/s, best of --rounds, and the ratio Occam / PyTorch.
"""
import argparse, json, shlex, subprocess, time
from torch_threads import set_threads  # before torch: see there
import torch

# (m, n, k, variant, label). tn: A stored [k×m] (PyTorch a.t()); nt: B stored [n×k] (b.t()), as Linear does.
SHAPES = [
    (256, 256, 256, "nn", "square 256"),
    (512, 512, 512, "nn", "square 512"),
    (1024, 1024, 1024, "nn", "square 1024"),
    (2048, 2048, 2048, "nn", "square 2048"),
    (128, 512, 784, "nn", "fwd x·W 128×784·784×512"),
    (128, 512, 784, "nt", "fwd x·Wᵀ 128×784·(512×784)ᵀ"),
    (512, 784, 128, "tn", "dW gᵀ·x (128×512)ᵀ·128×784"),
    (128, 784, 512, "nn", "dX g·W 128×512·512×784"),
]


def torch_gflops(m, n, k, variant):
    g = torch.Generator().manual_seed(1)
    a = torch.rand(k, m, generator=g) - 0.5 if variant == "tn" else torch.rand(m, k, generator=g) - 0.5
    b = torch.rand(n, k, generator=g) - 0.5 if variant == "nt" else torch.rand(k, n, generator=g) - 0.5
    left = a.t() if variant == "tn" else a
    right = b.t() if variant == "nt" else b
    out = torch.empty(m, n)
    run = lambda: torch.matmul(left, right, out=out)
    # Same protocol as `occam bench`: warm-up, then the fastest of five batches of at least 0.2 s.
    start = time.perf_counter()
    while time.perf_counter() - start < 0.2:
        run()
    reps, best, batches = 1, float("inf"), 0
    while batches < 5:
        start = time.perf_counter()
        for _ in range(reps):
            run()
        elapsed = time.perf_counter() - start
        if elapsed < 0.2:
            reps = min(reps * 4, max(reps + 1, int(reps * 0.25 / max(elapsed, 1e-6))))
            continue
        best = min(best, elapsed / reps)
        batches += 1
    return 2.0 * m * n * k / best / 1e9


def occam_gflops(command, m, n, k, variant, threads):
    args = shlex.split(command) + ["bench", "gemm", "--m", str(m), "--n", str(n), "--k", str(k),
                                   "--variant", variant, "--threads", str(threads)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["gflops"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--rounds", type=int, default=1, help="best of this many timings per side")
    parser.add_argument("--occam", help="command that runs the occam CLI (omit for PyTorch only)")
    args = parser.parse_args()
    for threads in args.threads:
        set_threads(torch, threads)
        print(f"\nthreads = {threads}\n")
        print("| shape | variant | m×n×k | Occam GFLOP/s | PyTorch GFLOP/s | Occam / PyTorch |")
        print("|---|---|---|---:|---:|---:|")
        for m, n, k, variant, label in SHAPES:
            ours = theirs = 0.0
            for _ in range(args.rounds):  # alternate the two sides so background load hits both alike
                theirs = max(theirs, torch_gflops(m, n, k, variant))
                if args.occam:
                    ours = max(ours, occam_gflops(args.occam, m, n, k, variant, threads))
            ratio = f"{ours / theirs:.2f}" if args.occam else "-"
            print(f"| {label} | {variant} | {m}×{n}×{k} | {ours:.1f} | {theirs:.1f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
