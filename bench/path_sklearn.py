#!/usr/bin/python3
"""Occam's regularization path (`occam path`) side by side with scikit-learn's LogisticRegression on the same data
and the same lambda grid. Prints a markdown table per lambda (validation accuracy and nonzero coefficients of each,
and both solutions' objective and largest optimality violation, evaluated here in double precision) and the
whole-path fit time of each; exits 1 if accuracy or nonzero counts disagree beyond the stated tolerances.

Same data: `occam path ... --export-data DIR` writes DIR/data.safetensors, the training and validation features
exactly as Occam fitted them (standardized with the training rows' mean and population sd) with their labels,
Occam's coefficients and intercepts per lambda, and the lambda grid (full precision, in the metadata). This script reads that file, so both sides fit identical numbers.

Parameter conversion. Occam minimizes  mean cross-entropy + lambda * (a * sum|w| + (1 - a)/2 * sum w^2)
(a = 1 for l1, 0 for l2, --l1-ratio for elastic-net; intercepts unpenalized). scikit-learn minimizes
C * sum_i loss_i + r(w) with r = ||w||_1 (l1), 1/2 ||w||^2 (l2), l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||^2
(elasticnet). Dividing by C*n gives  mean loss + r(w)/(C n),  so  C = 1/(n * lambda)  for every penalty, with
sklearn's l1_ratio = a. Solvers: saga for l1 and elastic-net (the only multinomial L1 solver; intercept unpenalized),
lbfgs for l2; warm_start=True along the path, from the largest lambda down, like Occam.

Usage: bench/path_sklearn.py --occam "dotnet .../Occam.Cli.dll" [--threads 1] [--max-iter 5000] [--tol 1e-4]
       [-- extra `occam path` options, e.g. --penalty l1 --lambdas 20 --train-size 2000]
"""
import argparse
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression


def load_safetensors(path):
    """The F32 tensors and the metadata of a safetensors file (8-byte header length, JSON header, raw data)."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
    return tensors, meta


def objective_and_violation(x, y, w, b, lam, ratio):
    """Occam's objective (mean cross-entropy + lam*(a*|w|_1 + (1-a)/2*|w|^2)) in double, and the largest violation of
    its optimality conditions (coefficients: |grad + lam*a*sign(w)| where w != 0, max(|grad| - lam*a, 0) where w = 0;
    intercepts: |grad|)."""
    n = x.shape[0]
    z = x @ w.T + b
    if w.shape[0] == 1:  # binary: one logit, sigmoid
        p = 1 / (1 + np.exp(-z[:, 0]))
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        residual = (p - y)[:, None]
    else:
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -np.mean(logp[np.arange(n), y])
        residual = np.exp(logp) - np.eye(w.shape[0])[y]
    grad = residual.T @ x / n + lam * (1 - ratio) * w
    l1 = lam * ratio
    violation = np.where(w != 0, np.abs(grad + l1 * np.sign(w)), np.maximum(np.abs(grad) - l1, 0)).max()
    violation = max(violation, np.abs(residual.mean(axis=0)).max())
    return loss + lam * (ratio * np.abs(w).sum() + (1 - ratio) / 2 * (w * w).sum()), violation


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--occam", required=True, help="command that runs occam, e.g. 'dotnet src/Occam.Cli/bin/Release/net10.0/Occam.Cli.dll'")
    parser.add_argument("--threads", type=int, default=1, help="Occam engine threads (saga is single-threaded; default 1)")
    parser.add_argument("--max-iter", type=int, default=5000, help="sklearn max_iter per lambda (saga needs thousands of epochs here to converge)")
    parser.add_argument("--tol", type=float, default=1e-4, help="sklearn tol (its default)")
    parser.add_argument("--accuracy-tol", type=float, default=0.01, help="largest allowed |accuracy difference| (fraction; default 1 point)")
    parser.add_argument("--nonzero-tol", type=float, default=0.10, help="largest allowed nonzero-count difference, relative (default 10%%, at least 5 coefficients)")
    parser.add_argument("occam_args", nargs="*", help="options for `occam path` (after --)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="occam-path-bench") as tmp:
        command = shlex.split(args.occam) + ["path", *args.occam_args, "--threads", str(args.threads), "--json",
                                             "--out", os.path.join(tmp, "out"), "--export-data", os.path.join(tmp, "data")]
        print("$ occam " + " ".join(shlex.quote(a) for a in command[len(shlex.split(args.occam)):]), flush=True)
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"occam path failed ({run.returncode}):\n{run.stderr}")
        occam = json.loads(run.stdout)
        tensors, meta = load_safetensors(os.path.join(tmp, "data", "data.safetensors"))

    if meta["task"] != "classification":
        raise SystemExit("path_sklearn.py compares classification paths only")
    x = tensors["x_train"].astype(np.float64)
    y = tensors["y_train"].astype(np.int64)
    xv = tensors["x_validation"].astype(np.float64)
    yv = tensors["y_validation"].astype(np.int64)
    lambdas = [float(v) for v in meta["lambdas"].split(",")]
    penalty, ratio = meta["penalty"], float(meta["l1_ratio"])
    n = x.shape[0]

    options = dict(warm_start=True, tol=args.tol, max_iter=args.max_iter)
    if penalty == "l1":
        model = LogisticRegression(penalty="l1", solver="saga", **options)
    elif penalty == "l2":
        model = LogisticRegression(penalty="l2", solver="lbfgs", **options)
    else:
        model = LogisticRegression(penalty="elasticnet", solver="saga", l1_ratio=ratio, **options)
    rows, seconds = [], 0.0
    for lam in lambdas:
        model.C = 1.0 / (n * lam)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(x, y)
            seconds += time.perf_counter() - start
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        accuracy = float(np.mean(model.predict(xv) == yv))
        rows.append((lam, accuracy, int(np.count_nonzero(model.coef_)), int(np.max(model.n_iter_)), converged,
                     *objective_and_violation(x, y, model.coef_, model.intercept_, lam, ratio)))
        print(f"  sklearn lambda {lam:.4g}: val {accuracy:.4f}, nonzero {rows[-1][2]}, {rows[-1][3]} epochs, {seconds:.1f} s so far", file=sys.stderr, flush=True)

    solver = model.solver
    print(f"\n{penalty} path, {len(lambdas)} lambdas, {occam['train_size']} train / {occam['validation_size']} validation, "
          f"{occam['features']} features x {occam['outputs']} outputs; sklearn {solver}, tol {args.tol:g}, max_iter {args.max_iter}, "
          f"C = 1/(n*lambda); Occam --threads {args.threads}\n")
    print("| lambda | Occam val acc | sklearn val acc | diff (pt) | Occam nonzero | sklearn nonzero | objective, Occam − sklearn (rel.) "
          "| optimality violation, Occam | sklearn | Occam iterations | sklearn epochs | agree |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    failures = 0
    coefficients, intercepts = tensors["coefficients"].astype(np.float64), tensors["intercepts"].astype(np.float64)
    for i, (point, (lam, accuracy, nonzero, iterations, converged, objective, violation)) in enumerate(zip(occam["path"], rows)):
        ours, our_violation = objective_and_violation(x, y, coefficients[i], intercepts[i], lam, ratio)
        diff = point["val_accuracy"] - accuracy
        allowed = max(5, args.nonzero_tol * max(nonzero, point["nonzero"]))
        ok = abs(diff) <= args.accuracy_tol + 1e-12 and abs(point["nonzero"] - nonzero) <= allowed
        failures += not ok
        note = ("yes" if ok else "**no**") + ("" if converged else " (sklearn not converged)")
        print(f"| {lam:.4g} | {point['val_accuracy']:.4f} | {accuracy:.4f} | {100 * diff:+.2f} | {point['nonzero']} | {nonzero} "
              f"| {(ours - objective) / objective:+.1e} | {our_violation:.1e} | {violation:.1e} | {point['iterations']} | {iterations} | {note} |")
    print(f"\nWhole path (fits only): Occam {occam['seconds']:.2f} s, scikit-learn {seconds:.2f} s, "
          f"sklearn / Occam = {seconds / occam['seconds']:.1f}x")
    print(f"Best lambda (Occam): {occam['best_lambda']:.4g}, one-SE lambda: {occam['lambda_1se']:.4g}")
    print(f"Tolerance: validation accuracy within {100 * args.accuracy_tol:g} points and nonzero counts within "
          f"{100 * args.nonzero_tol:g}% (at least 5) at every lambda: "
          + ("all agree." if failures == 0 else f"{failures} of {len(rows)} lambdas disagree."))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
