#!/bin/sh
# sluice against dlt on the same job: 100,000 records (RECORDS) from a paginated API
# on 127.0.0.1 (1,000 a page), through the same three-field mapping, into a local
# NDJSON / JSONL file. Each tool runs RUNS times, alternating, each time from scratch
# (no sluice state, no dlt pipeline folder); /usr/bin/time -v measures each run. The
# last line gives each tool's median wall time and their ratio (the issue's target:
# sluice at least 20x faster).
#
#   python3 -m venv /tmp/dlt-venv && /tmp/dlt-venv/bin/pip install dlt
#   PYTHON=/tmp/dlt-venv/bin/python benches/dlt/run.sh
#
# Not part of CI. The source API is `examples/http_sync.rs --serve 127.0.0.1:$PORT`
# (default 8765, the port the sluice pipeline pipelines/api_to_file.toml names; the
# run uses a copy of it in $WORK/pipelines with PORT put in).
set -eu
cd "$(dirname "$0")/../.."
RECORDS=${RECORDS:-100000}
RUNS=${RUNS:-3}
PYTHON=${PYTHON:-python3}
WORK=${WORK:-/tmp/sluice-dlt}
PORT=${PORT:-8765}
TARGET=${CARGO_TARGET_DIR:-target}
SLUICE=${SLUICE:-$TARGET/release/sluice}          # another build to compare: SLUICE=… BUILD=0
SERVER_BIN=${SERVER_BIN:-$TARGET/release/examples/http_sync}

if [ "${BUILD:-1}" = 1 ]; then
    cargo build --release --quiet --bin sluice --example http_sync
fi
mkdir -p "$WORK"
rm -rf "$WORK/pipelines" && mkdir -p "$WORK/pipelines"
sed "s/127.0.0.1:8765/127.0.0.1:$PORT/" benches/dlt/pipelines/api_to_file.toml \
    > "$WORK/pipelines/api_to_file.toml"
"$SERVER_BIN" --serve "127.0.0.1:$PORT" "$RECORDS" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT INT TERM
until grep -q serving "$WORK/server.log" 2>/dev/null; do
    if ! kill -0 "$SERVER" 2>/dev/null; then
        cat "$WORK/server.log" >&2   # port taken? (PORT=… picks another)
        exit 1
    fi
    sleep 0.1
done

# Wall seconds from the nanoseconds given ($2: `date +%s%N` before and after the run;
# /usr/bin/time's own wall clock is in hundredths, a tenth of a sluice run), user +
# system CPU seconds and peak memory in MB from /usr/bin/time ($1).
summary() {
    awk -F': ' -v ns="$2" '
        /User time/ { cpu += $2 } /System time/ { cpu += $2 }
        /Maximum resident/ { rss = $2 / 1024 }
        END { printf "%.3f s wall, %.2f s CPU, %.0f MB peak", ns / 1e9, cpu, rss }' "$1"
}

# The median of the numbers in file $1, one a line.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "load before: $(uptime)"
: > "$WORK/sluice.walls"
: > "$WORK/dlt.walls"
i=1
while [ "$i" -le "$RUNS" ]; do
    rm -rf "$WORK/state.redb" "$WORK/pipelines/out"
    start=$(date +%s%N)
    /usr/bin/time -v "$SLUICE" --pipelines "$WORK/pipelines" \
        --state "$WORK/state.redb" run api_to_file --format json \
        > "$WORK/sluice-$i.json" 2> "$WORK/sluice-$i.time"
    end=$(date +%s%N)
    lines=$(wc -l < "$WORK/pipelines/out/records.ndjson")
    echo "sluice run $i: $(summary "$WORK/sluice-$i.time" $((end - start))); $lines records written"
    echo $((end - start)) >> "$WORK/sluice.walls"

    rm -rf "$WORK/dlt"
    start=$(date +%s%N)
    /usr/bin/time -v "$PYTHON" benches/dlt/rest_api_to_file.py "http://127.0.0.1:$PORT" "$WORK/dlt" \
        > "$WORK/dlt-$i.out" 2> "$WORK/dlt-$i.time"
    end=$(date +%s%N)
    lines=$(find "$WORK/dlt/data" -path '*records*' -name '*.jsonl' -exec cat {} + | wc -l)
    echo "dlt    run $i: $(summary "$WORK/dlt-$i.time" $((end - start))); $lines records written"
    echo $((end - start)) >> "$WORK/dlt.walls"
    i=$((i + 1))
done
echo "load after: $(uptime)"
# The set's result: each tool's median wall time, and dlt's over sluice's.
awk -v s="$(median "$WORK/sluice.walls")" -v d="$(median "$WORK/dlt.walls")" 'BEGIN {
    printf "medians of %d runs: sluice %.3f s, dlt %.3f s: sluice %.1fx faster\n", '"$RUNS"', s / 1e9, d / 1e9, d / s }'
