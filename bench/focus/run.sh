#!/usr/bin/env bash
# The cost of each step of `impasto focus` at 1280x720, 1920x1080 and 12 MP
# (4000x3000), on the bundled astronaut photo scaled and cropped to each size
# (ImageMagick's convert). Prints impasto's per-step wall-clock medians and
# minimums over --runs and the median CPU time of each step (the steady
# figure on a shared machine), then the whole 12 MP command once (PNG
# decode and encode included) with /usr/bin/time.
#
#   bench/focus/run.sh [IMPASTO] [RUNS] [THREADS]
#
# The selfie models are found as `impasto focus` finds them
# ($IMP_SELFIE_DIR, or where scripts/build.sh fetched them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
impasto=${1:-$root/build/apps/impasto/impasto}
runs=${2:-30}
threads=${3:-2}
command -v convert >/dev/null || { echo "needs ImageMagick's convert" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
photo=$root/assets/astronaut.png
for size in 1280x720 1920x1080 4000x3000; do
  w=${size%x*} h=${size#*x}
  side=$((w > h ? w : h))
  convert "$photo" -resize "${side}x${side}" -gravity center -crop "${size}+0+0" +repage \
    "$work/in-$size.png"
  echo "== $size, $threads threads, $runs runs"
  "$impasto" focus "$work/in-$size.png" -o "$work/out-$size.png" --runs "$runs" \
    --threads "$threads" | grep -v '^focus'
done
echo "== 4000x3000, the whole command once (PNG in and out included)"
/usr/bin/time -f 'wall %e s, user %U s, max RSS %M KiB' "$impasto" focus \
  "$work/in-4000x3000.png" -o "$work/out-4000x3000.png" --threads "$threads" | tail -1
