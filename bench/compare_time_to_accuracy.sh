#!/usr/bin/env bash
# Time to accuracy: `occam train --preset fmnist-cnn --data fashion-mnist` against the same recipe in PyTorch
# (bench/peer_fmnist_cnn.py), whole-process wall time, on the full Fashion-MNIST files.
# Usage: bench/compare_time_to_accuracy.sh [--threads T] [--concurrent] [--epochs E]
#   default: one side after the other, each with T threads (2).
#   --concurrent: both sides at the same time with 1 thread each, pinned to different cores (taskset), so a
#                 2-core machine runs the comparison in the time of the slower side.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2 concurrent=0 epochs=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --concurrent) concurrent=1; threads=1; shift ;;
    --epochs) epochs="$2"; shift 2 ;;
    *) echo "compare_time_to_accuracy.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if ! build=$(dotnet build -c Release src/Occam.Cli -nologo -v quiet 2>&1); then echo "$build" >&2; exit 1; fi
lscpu | grep -E '^(Model name|CPU\(s\))' || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
occam_args=(train --preset fmnist-cnn --data fashion-mnist --threads "$threads" --json --out "$out/occam")
peer_args=(--threads "$threads")
if [[ -n "$epochs" ]]; then occam_args+=(--epochs "$epochs"); peer_args+=(--epochs "$epochs"); fi
# bench/peer_fmnist_cnn.py's defaults are the preset's settings (src/Occam.Cli/Config/RunConfig.cs); keep them in step.

run_occam() { local s; s=$(date +%s.%N); ${1:-} dotnet src/Occam.Cli/bin/Release/net10.0/Occam.Cli.dll "${occam_args[@]}" > "$out/occam.log" 2>&1; echo "$(date +%s.%N) - $s" | bc > "$out/occam.seconds"; }
run_peer() { local s; s=$(date +%s.%N); ${1:-} /usr/bin/python3 bench/peer_fmnist_cnn.py "${peer_args[@]}" > "$out/peer.log" 2>&1; echo "$(date +%s.%N) - $s" | bc > "$out/peer.seconds"; }

if [[ $concurrent == 1 ]]; then
  run_occam "taskset -c 0" & a=$!
  run_peer "taskset -c 1" & b=$!
  wait $a; wait $b
else
  run_occam; run_peer
fi

occam_acc=$(grep -o '"test_accuracy": *[0-9.]*' "$out/occam.log" | tail -1 | grep -o '[0-9.]*$')
peer_acc=$(tail -1 "$out/peer.log" | grep -o '"test_accuracy": *[0-9.]*' | grep -o '[0-9.]*$')
occam_s=$(cat "$out/occam.seconds"); peer_s=$(cat "$out/peer.seconds")
echo
echo "| side | threads | wall seconds | test accuracy |"
echo "|---|---:|---:|---:|"
printf '| Occam | %s | %.0f | %s |\n' "$threads" "$occam_s" "$occam_acc"
printf '| PyTorch | %s | %.0f | %s |\n' "$threads" "$peer_s" "$peer_acc"
printf 'PyTorch / Occam wall time: %.2f\n' "$(echo "$peer_s / $occam_s" | bc -l)"
grep -E '^epoch' "$out/peer.log" | tail -3
