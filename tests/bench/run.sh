#!/usr/bin/env bash
# Builds and runs the whole benchmark suite in a few minutes, and prints one table:
# scenario, renrakumo figure, baseline figure (measured in the same run), ratio, target, met?
#   tests/bench/run.sh            full run (storm 100/1,000 operators, fan-out 1,000/10,000)
#   tests/bench/run.sh --quick    smaller figures, for a quick look (~30 s)
#   tests/bench/run.sh --slow-sync-us 2000   also the storms with a 2 ms disk flush
# Extra arguments after --quick (or alone) go to renrakumo-loadgen, e.g. --window 16.
# Build dir: build-bench (Release). Never part of ctest, except the loadgen's --smoke run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${RENRAKUMO_BENCH_BUILD:-$root/build-bench}"

quick=0
if [[ "${1:-}" == "--quick" ]]; then quick=1; shift; fi
# --slow-sync-us N (anywhere): also run the storms with every disk sync N us slower, as on a
# real disk (tests/bench/slow_sync.cpp; this VM's flush takes ~0.1 ms, real disks 0.5-5 ms).
slow_sync_us=""
rest=()
while [[ $# -gt 0 ]]; do
  if [[ "$1" == "--slow-sync-us" ]]; then slow_sync_us="${2:?--slow-sync-us needs microseconds}"; shift 2
  else rest+=("$1"); shift; fi
done
set -- "${rest[@]+"${rest[@]}"}"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRENRAKUMO_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target renrakumo-loadgen renrakumo-micro-bench \
  renrakumo-slow-sync >/dev/null

# 10,000 subscribers need ~10,000 descriptors in the hub's process (and as many in the
# client agent's); raise the soft limit as far as the hard one allows (root may raise both).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

bench="$build/tests/bench"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(free -g | awk '/Mem:/ {print $2}') GiB RAM, /tmp on $(df --output=source /tmp | tail -1)" \
     "($(findmnt -no FSTYPE -T /tmp))"
echo "libzmq $(pkg-config --modversion libzmq 2>/dev/null || echo '?'), sqlite $(pkg-config --modversion sqlite3 2>/dev/null || echo '?')"
echo

if [[ $quick == 1 ]]; then
  args=(--storm-ops 100 --storm-msgs 30000 --fanout 1000 --catchup 30000)
else
  # 10,000 subscribers (the issue's figure) need ~10,200 descriptors in this process (the
  # load generator spreads the subscribers over as many client agents as the limit needs).
  fanout=1000,10000
  if [[ $(ulimit -n) -lt 10200 ]]; then
    fanout=1000,5000
    echo "descriptor limit $(ulimit -n): fan-out measured to 5,000 subscribers, not 10,000" >&2
  fi
  args=(--storm-ops 100,1000 --storm-msgs 100000 --fanout "$fanout" --catchup 100000)
fi
status=0
"$bench/renrakumo-loadgen" "${args[@]}" "$@" | tee "$build/loadgen-table.md" || status=$?
if [[ -n "$slow_sync_us" ]]; then
  echo
  echo "the storms again, every fdatasync/fsync ${slow_sync_us} us slower (both servers; only the hub syncs):"
  storm_args=(--storm-ops "$([[ $quick == 1 ]] && echo 100 || echo 100,1000)"
              --storm-msgs "$([[ $quick == 1 ]] && echo 30000 || echo 100000)" --fanout "" --catchup 1000)
  RENRAKUMO_SLOW_SYNC_US="$slow_sync_us" LD_PRELOAD="$bench/librenrakumo-slow-sync.so" \
    "$bench/renrakumo-loadgen" "${storm_args[@]}" "$@" | grep -E '^\| (scenario|storm)|^\|-' || status=$?
fi

# The core's decision path (decode + validate + route), in microseconds per message.
"$bench/renrakumo-micro-bench" --benchmark_filter='BM_Decide_|BM_Parse|BM_FindSubmit|BM_Check|BM_Route|BM_Encode|BM_Verify' \
  --benchmark_min_time=0.2 --benchmark_format=csv 2>/dev/null >"$build/micro.csv"
awk -F, 'NR > 1 && $1 ~ /Decide_Report/ {
  us = $4 / 1000; printf "| %-52s | %14.2f | %14s | %7s | %9s | %4s |\n",
  "core decision: parse+check+route 1 KiB report (us)", us, "-", "-", "<= 2.00", (us <= 2 ? "yes" : "NO") }' \
  "$build/micro.csv"
echo
echo "micro-benchmarks (ns per message, CPU time):"
awk -F, 'NR > 1 { gsub(/"/, "", $1); printf "  %-40s %10.0f ns\n", $1, $4 }' "$build/micro.csv"

if [[ $quick == 0 ]]; then
  echo
  echo "journal micro-benchmarks (items/s; Disk = /tmp, Shm = /dev/shm):"
  "$bench/renrakumo-micro-bench" --benchmark_filter='Journal(Append|Find|Read)|Minimal' \
    --benchmark_min_time=0.5 --benchmark_format=csv 2>/dev/null |
    awk -F, 'NR > 1 { gsub(/"/, "", $1); ips = ($7 != "" ? $7 : 0);
      printf "  %-40s %10.3f us/iter %12.0f items/s\n", $1, $3 / 1000, ips }'
  # A separate run: the CSV reporter wants the storm's extra counter in every row.
  echo "journal under the storm's pattern (batch/senders; process CPU, checkpointer included;"
  echo "LogStorm: the same on the log engine; SegmentLogAppend: its record log alone, one record + sync per batch):"
  "$bench/renrakumo-micro-bench" --benchmark_filter='JournalStorm|LogStorm|LmdbStorm|SegmentLogAppend/400' \
    --benchmark_min_time=1 --benchmark_format=csv 2>/dev/null |
    awk -F, 'NR > 1 { gsub(/"/, "", $1); split($1, a, "/");
      printf "  %-40s %8.0f msg/s %6.2f us CPU/msg %7.0f B written/msg\n",
        a[1] "/" a[2] "/" a[3], $7, $4 / a[2] / 1000, $11 }'
fi
exit $status
