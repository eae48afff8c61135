#!/usr/bin/env bash
# Build the fuzz configuration (clang, libFuzzer, ASan+UBSan) and fuzz every
# target for a while, keeping going after crashes; then reproduce each crash
# once and print a summary.
#
#   tools/fuzz/run_all.sh [-t SECONDS] [-o OUT_DIR] [-b BUILD_DIR] [TARGET...]
#
#   -t  seconds per target (default 60)
#   -o  where crashes, timeouts, OOMs and logs go (default BUILD_DIR/fuzz-out)
#   -b  build folder (default build-fuzz; reused, so new corpus entries
#       found by earlier runs are fuzzed again from BUILD_DIR/fuzz/work)
#   TARGET  onnx tflite imp image video npy (default: all that were built)
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev), cmake and
# ninja. Exit status 1 when any target crashed, timed out or ran out of
# memory.
set -euo pipefail

seconds=60
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
out=""
while getopts "t:o:b:h" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    o) out=$OPTARG ;;
    b) build=$OPTARG ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
out=${out:-$build/fuzz-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)

cc=${CC:-clang}
if ! command -v "$cc" >/dev/null; then
  echo "run_all.sh: $cc not found (apt-get install clang)" >&2
  exit 2
fi

# RelWithDebInfo without -DNDEBUG: keep the library's internal asserts on,
# so an invariant a hostile file breaks shows up as a finding.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" \
  -DIMP_SANITIZE=ON -DIMP_FUZZ=ON -DIMP_BUILD_APPS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  >"$out/cmake.log"
ninja -C "$build" -j"${JOBS:-2}" >"$out/build.log" || {
  tail -30 "$out/build.log"
  exit 2
}

if [ $# -eq 0 ]; then
  set -- $(cd "$build/fuzz" && ls fuzz_* 2>/dev/null | sed 's/^fuzz_//')
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

status=0
summary="$out/summary.txt"
: >"$summary"
for t in "$@"; do
  bin="$build/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "no target $t" >&2; status=2; continue; }
  work="$build/fuzz/work/$t"
  art="$out/$t"
  mkdir -p "$work" "$art"
  dict=()
  [ -f "$root/fuzz/dict/$t.dict" ] && dict=(-dict="$root/fuzz/dict/$t.dict")
  echo "== fuzz_$t for ${seconds}s"
  # Fork mode with -ignore_*: one crash does not end the run; every
  # distinct one is saved under $art.
  "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
    -max_len=65536 -artifact_prefix="$art/" "${dict[@]}" \
    "$work" "$root/fuzz/corpus/$t" >"$out/$t.log" 2>&1 || true
  # Fork mode leaves each finding as crash-/timeout-/oom-<sha1>.
  findings=$(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' \
             -o -name 'oom-*' -o -name 'leak-*' \) | sort)
  # Fork mode prints "#N: cov: C ft: F corp: K exec/s E ...".
  runs=$(grep -o '^#[0-9]*' "$out/$t.log" | tail -1 | tr -d '#' || true)
  cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -1 | awk '{print $2}' || true)
  corpus=$(find "$work" -type f | wc -l)
  n=$(printf '%s' "$findings" | grep -c . || true)
  printf '%-7s %5ss  runs %-9s cov %-6s corpus %-5s findings %s\n' \
    "$t" "$seconds" "${runs:-?}" "${cov:-?}" "$corpus" "$n" | tee -a "$summary"
  for f in $findings; do
    status=1
    # Re-run the input alone for the first line that names the bug.
    why=$({ timeout 120 "$bin" -rss_limit_mb=2048 -timeout=30 "$f" 2>&1 || true; } |
          grep -m1 -E 'SUMMARY|ERROR: |runtime error|contract broken|out-of-memory|timeout' ||
          true)
    printf '    %s\n        %s\n' "$f" "${why:-did not reproduce alone}" | tee -a "$summary"
  done
done
echo "summary: $summary"
exit $status
