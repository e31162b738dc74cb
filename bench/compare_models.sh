#!/usr/bin/env bash
# Training and inference of the bench MLP and CNN, Occam vs PyTorch, same thread counts; prints a markdown table.
# Usage: bench/compare_models.sh [--threads 2 1] [--rounds 3] [--samples 60000] [--models mlp cnn]
# With 2+ threads each round also runs `occam bench cores` (how far apart the two cores are) and a table relates it to the 1 -> 2 speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! build=$(dotnet build -c Release src/Occam.Cli -nologo -v quiet 2>&1); then echo "$build" >&2; exit 1; fi
lscpu | grep -E '^(Model name|CPU\(s\))' || true
exec /usr/bin/python3 bench/peer_models.py --occam "dotnet src/Occam.Cli/bin/Release/net10.0/Occam.Cli.dll" "$@"
