#!/usr/bin/env bash
# The regularization path, Occam (`occam path`) vs scikit-learn LogisticRegression, on the same exported data and
# lambda grid; prints a markdown table and exits non-zero if the two disagree.
# Usage: bench/compare_path.sh [--threads 1] [--max-iter 5000] [-- occam path options, e.g. --penalty l1 --lambdas 20]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! build=$(dotnet build -c Release src/Occam.Cli -nologo -v quiet 2>&1); then echo "$build" >&2; exit 1; fi
lscpu | grep -E '^(Model name|CPU\(s\))' || true
uptime
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1  # scikit-learn single-threaded, like saga itself
exec /usr/bin/python3 bench/path_sklearn.py --occam "dotnet src/Occam.Cli/bin/Release/net10.0/Occam.Cli.dll" "$@"
