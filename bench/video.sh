#!/usr/bin/env bash
# End-to-end speed of `impasto video` (decode, stylize, blend, encode) on
# generated 10-second clips at 640x480 and 1280x720 (30 fps, with audio),
# through the shipped style network (models/styles.imp, its first style);
# IMP_BENCH_NET=narrow runs the quarter-width Johnson-style network of
# tools/make_style_fixture.py instead (random weights: speed does not depend
# on them), the network of the results before styles.imp shipped. Prints
# each run's summary; BENCHMARKS.md records the results.
#
#   bench/video.sh [BUILD_DIR] [EXTRA impasto video OPTIONS...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
shift || true
impasto=$build/apps/impasto/impasto
work=$root/bench/video
mkdir -p "$work"
[ -x "$impasto" ] || { echo "build impasto first ($impasto)" >&2; exit 1; }
net=$root/models/styles.imp
if [ "${IMP_BENCH_NET:-shipped}" = narrow ]; then
  net=$work/narrow_style.onnx
  [ -f "$net" ] || /usr/bin/python3 "$root/tools/make_style_fixture.py" narrow "$net"
fi
for size in 640x480 1280x720; do
  clip=$work/clip-$size.mp4
  [ -f "$clip" ] || ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=$size:rate=30" \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 10 -c:v libx264 -pix_fmt yuv420p \
    -c:a aac "$clip"
  echo "== $size"
  "$impasto" video "$clip" -o "$work/out-$size.mp4" --style "$net" -q "$@"
done
