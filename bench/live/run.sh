#!/usr/bin/env bash
# impasto live at 640x480: held frame rate and capture-to-output latency,
# measured from outside. stamp.py sends 30 FPS frames that carry their index
# (and logs when each was sent) into `impasto live --input -`; live's
# YUV4MPEG2 output (-o -) goes back into stamp.py, which reads each index
# from the pixels and takes the time. The network is the shipped one
# (models/styles.imp; IMP_BENCH_NET=narrow: the quarter-width Johnson-style
# net of bench/video.sh); live runs it at --strength 0 so the code survives
# (the network still runs on every frame: the identity style, or for a
# single-style network a blend with the camera picture). live's own end-of-run readout (median, p95 from its capture thread
# to the written frame) is printed too. BENCHMARKS.md records the results.
#
#   bench/live/run.sh [BUILD_DIR] [SECONDS] [EXTRA impasto live OPTIONS...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
seconds=${2:-10}
shift 2 || shift $# || true
impasto=$build/apps/impasto/impasto
work=$root/bench/live
[ -x "$impasto" ] || { echo "build impasto first ($impasto)" >&2; exit 1; }
net=$root/models/styles.imp
if [ "${IMP_BENCH_NET:-shipped}" = narrow ]; then
  net=$root/bench/video/narrow_style.onnx
  [ -f "$net" ] || { mkdir -p "$(dirname "$net")"
    /usr/bin/python3 "$root/tools/make_style_fixture.py" narrow "$net"; }
fi
frames=$((seconds * 30))
times=$(mktemp)
trap 'rm -f "$times"' EXIT
echo "== 640x480, 30 fps source, $frames frames, load: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$work/stamp.py" send 640 480 30 "$frames" "$times" |
  "$impasto" live --input - --headless -o - --style "$net" --strength 0 \
    --frames "$frames" "$@" 2> >(grep '^live' >&2) |
  /usr/bin/python3 "$work/stamp.py" receive "$times"
