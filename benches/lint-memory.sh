#!/usr/bin/env bash
# Wall time and peak memory (maximum resident set size, GNU time) of the doctor
# (examples/doctor.rs, release build) on the realistic message and on each 10 MB hostile shape
# of benches/lint.rs; the doctor reads the whole file into memory first, so its input is part
# of the peak. See BENCHMARKS.md.
#
#   benches/lint-memory.sh [DIR]   # shapes written to DIR (default target/lint-shapes)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/lint-shapes}
cargo build --release --example doctor
LINT_WRITE_SHAPES="$dir" cargo bench --bench lint
: >"$dir/empty.eml"
printf '%-22s %10s %8s %9s %9s\n' shape octets seconds "peak MB" findings
for f in "$dir"/empty.eml "$dir"/realistic.eml "$dir"/[a-z]*_*.eml; do
  status=0
  /usr/bin/time -o "$dir/time.txt" -f '%e %M' target/release/examples/doctor "$f" \
    >"$dir/out.txt" 2>&1 || status=$?
  if ((status > 1)); then
    echo "$f: doctor failed (exit $status)"
    exit 1
  fi
  read -r seconds kb < <(tail -1 "$dir/time.txt")
  findings=$(grep -c '^[^ ].*:line ' "$dir/out.txt" || true)
  printf '%-22s %10s %8s %9s %9s\n' "$(basename "$f" .eml)" "$(stat -c %s "$f")" \
    "$seconds" "$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1000 }')" "$findings"
done
