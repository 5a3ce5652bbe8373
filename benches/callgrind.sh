#!/usr/bin/env bash
# Instructions per message under callgrind (load-independent), for BENCHMARKS.md.
#
#   benches/callgrind.sh            # every message x case, and References of 1..100 ids
#   KEEP=1 benches/callgrind.sh     # also keep the .out files in target/callgrind/
#
# Each case runs twice, with N1 and N2 messages; (Ir(N2) - Ir(N1)) / (N2 - N1) is the cost of
# one message with start-up and one-time initialisation cancelled out. Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_PROFILE_BENCH_DEBUG=line-tables-only   # symbols and lines for callgrind_annotate
bin="$(nice -n 10 cargo bench --no-run --bench profile_target --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*profile_target[^"]*\)".*/\1/p' | tail -1)"
out=target/callgrind
mkdir -p "$out"
ir() { # ITERS MSG CASE -> total Ir
  PROFILE_ITERS=$1 PROFILE_MSG=$2 PROFILE_CASE=$3 nice -n 10 valgrind --tool=callgrind \
    --callgrind-out-file="$out/$2.$3.$1.out" "$bin" >/dev/null 2>&1
  sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$out/$2.$3.$1.out" | head -1
}
per() { # N1 N2 MSG CASE -> Ir per round
  local a b
  a=$(ir "$1" "$3" "$4")
  b=$(ir "$2" "$3" "$4")
  echo $(((b - a) / ($2 - $1)))
}
echo "| message | case | Ir/msg |"
echo "|---|---|---:|"
for msg in transactional reply_20_refs multipart_inline_image; do
  for case in lettre letterhead lettre_generated_id lettre_given_id letterhead_given_id; do
    echo "| $msg | $case | $(per 100 600 "$msg" "$case") |"
  done
done
echo
echo "| References ids | parse Ir | write_text Ir | write_header Ir | write_text Ir/id |"
echo "|---:|---:|---:|---:|---:|"
for n in 1 5 10 20 50 100; do
  p=$(per 50 250 "references:$n" parse)
  e=$(per 50 250 "references:$n" write_text)
  w=$(per 50 250 "references:$n" write_header)
  echo "| $n | $p | $e | $w | $((e / n)) |"
done
[[ -n "${KEEP:-}" ]] || rm -f "$out"/*.out
