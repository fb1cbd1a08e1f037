#!/usr/bin/env bash
# The GPU suite: one script, under 8 minutes, one JSON (see benchmarks/gpu_suite.py).
#
#   benchmarks/gpu_suite.sh [OUT.json]          # on a GPU machine (default out below)
#   benchmarks/gpu_suite.sh --dry [OUT.json]    # tiny sizes, any machine (the tests run this)
#
# Each section is written to the JSON as soon as it is measured, so the time limit
# (GPU_SUITE_LIMIT_S, default 470 s) keeps whatever finished. Nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
DRY=()
if [[ "${1:-}" == "--dry" ]]; then DRY=(--dry); shift; fi
OUT="${1:-benchmarks/results/gpu_suite.json}"
PYTHON="${PYTHON:-$([[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3)}"
LIMIT="${GPU_SUITE_LIMIT_S:-470}"
if [[ ${#DRY[@]} -gt 0 ]]; then export JAX_PLATFORMS="${JAX_PLATFORMS:-cpu}"; fi
exec timeout --signal=INT --kill-after=10 "$LIMIT" \
  "$PYTHON" benchmarks/gpu_suite.py "${DRY[@]}" --out "$OUT"
