#!/bin/sh
# trace_bench: speed and size of the native trace format.
#
#   sh tests/bench/trace_bench.sh [OUT.json]     (default results/bench-trace.json)
#
# 1. Generates build/bench/zipf-100m.vtr once (100 million zipf(0.9) references
#    over 4 GiB of 4 KiB pages, --sparse-ids, native format); regenerated only
#    when missing or when `trace verify` rejects it (e.g. after a format change).
# 2. With the file in the page cache, times `vmmsim trace info` and
#    `vmmsim trace verify` on it, end to end: records/s, MB/s, bytes/record.
# 3. Generates the 20-million-reference trace of the cache bench in the native
#    format (timed: generation records/s) and reports its bytes/record.
# Results go to OUT.json atomically (written to a temporary name, renamed).
set -eu

BIN=${VMMSIM_BIN:-bin/vmmsim}
OUT=${1:-results/bench-trace.json}
DIR=build/bench
BIG=$DIR/zipf-100m.vtr
MID=$DIR/zipf-20m.vtr
SPEC100='{kind: zipf, alpha: 0.9, footprint: 4GiB, refs: 100M}'
SPEC20='{kind: zipf, alpha: 0.9, footprint: 4GiB, refs: 20M}'

mkdir -p "$DIR" "$(dirname "$OUT")"

now() { date +%s.%N; }
# elapsed START END -> seconds
elapsed() { echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'; }
# ratio A B -> A / B
ratio() { echo "$1 $2" | awk '{ printf "%.1f", ($2 > 0 ? $1 / $2 : 0) }'; }
ratio3() { echo "$1 $2" | awk '{ printf "%.3f", ($2 > 0 ? $1 / $2 : 0) }'; }
size_of() { wc -c < "$1" | tr -d ' '; }

if [ ! -f "$BIG" ] || ! "$BIN" trace verify "$BIG" > /dev/null 2>&1; then
    echo "trace bench: generating $BIG (100M records, once)"
    "$BIN" trace gen --workload "$SPEC100" --sparse-ids -o "$BIG"
fi
cat "$BIG" > /dev/null   # into the page cache

RECS=$("$BIN" trace verify "$BIG" | sed -n 's/.*: ok, \([0-9]*\) records.*/\1/p')
BYTES=$(size_of "$BIG")

t0=$(now)
"$BIN" trace info "$BIG" > "$DIR/info-100m.txt"
t1=$(now)
"$BIN" trace verify "$BIG" > /dev/null
t2=$(now)
INFO_S=$(elapsed "$t0" "$t1")
VERIFY_S=$(elapsed "$t1" "$t2")

t0=$(now)
"$BIN" trace gen --workload "$SPEC20" --sparse-ids -o "$MID" > /dev/null
t1=$(now)
GEN_S=$(elapsed "$t0" "$t1")
MID_BYTES=$(size_of "$MID")

INFO_RPS=$(ratio "$RECS" "$INFO_S")
INFO_MBS=$(ratio "$BYTES" "$(echo "$INFO_S" | awk '{ print $1 * 1e6 }')")
VERIFY_RPS=$(ratio "$RECS" "$VERIFY_S")
VERIFY_MBS=$(ratio "$BYTES" "$(echo "$VERIFY_S" | awk '{ print $1 * 1e6 }')")
BPR=$(ratio3 "$BYTES" "$RECS")
MID_BPR=$(ratio3 "$MID_BYTES" 20000000)
GEN_RPS=$(ratio 20000000 "$GEN_S")

cat > "$OUT.tmp" <<EOF
{
  "trace_100m": {"file": "$BIG", "records": $RECS, "bytes": $BYTES, "bytes_per_record": $BPR},
  "info": {"seconds": $INFO_S, "records_per_s": $INFO_RPS, "mb_per_s": $INFO_MBS},
  "verify": {"seconds": $VERIFY_S, "records_per_s": $VERIFY_RPS, "mb_per_s": $VERIFY_MBS},
  "zipf_20m": {"file": "$MID", "bytes": $MID_BYTES, "bytes_per_record": $MID_BPR,
               "gen_seconds": $GEN_S, "gen_records_per_s": $GEN_RPS}
}
EOF
mv "$OUT.tmp" "$OUT"

echo "trace bench: 100M zipf trace: $BYTES bytes, $BPR bytes/record"
echo "trace bench: info   $INFO_S s, $INFO_RPS records/s, $INFO_MBS MB/s"
echo "trace bench: verify $VERIFY_S s, $VERIFY_RPS records/s, $VERIFY_MBS MB/s"
echo "trace bench: 20M zipf trace: $MID_BYTES bytes, $MID_BPR bytes/record; gen $GEN_S s, $GEN_RPS records/s"
echo "trace bench: wrote $OUT"
