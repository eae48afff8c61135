#!/usr/bin/env bash
# impasto focus, two benchmarks.
#
#   bench/focus/run.sh [IMPASTO] [RUNS] [THREADS]
#
# The cost of each step at 1280x720, 1920x1080 and 12 MP (4000x3000), on
# the bundled astronaut photo scaled and cropped to each size (ImageMagick's
# convert). Prints impasto's per-step wall-clock medians and minimums over
# --runs and the median CPU time of each step (the steady figure on a shared
# machine), then the whole 12 MP command once (PNG decode and encode
# included) with /usr/bin/time.
#
#   bench/focus/run.sh threads [IMPASTO] [ROUNDS]
#
# What the second thread gains at 1280x720: --threads 1 and 2 interleaved,
# ROUNDS rounds (default 5), each round running 1 then 2 (then 2 then 1 on
# the next, so neither always goes first). For the photo, impasto's own
# per-frame medians of 20 runs (the effect and the network, no PNG):
# wall-clock and CPU time (all threads). For a video (the same picture as
# 100 frames of 25 fps with moving sensor noise, H.264 in and out), the
# whole command under /usr/bin/time: wall clock and user+sys. --threads
# sets the effect's threads; FFmpeg's decoder and x264 keep their own.
# Prints the median over the rounds of each, and the ratio 1 / 2 threads.
#
# The selfie models are found as `impasto focus` finds them
# ($IMP_SELFIE_DIR, or where scripts/build.sh fetched them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mode=steps
if [ "${1:-}" = threads ]; then
  mode=threads
  shift
fi
impasto=${1:-$root/build/apps/impasto/impasto}
command -v convert >/dev/null || { echo "needs ImageMagick's convert" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
photo=$root/assets/astronaut.png

# The astronaut scaled to cover WxH and cropped at the centre, into $2.
crop() {
  local size=$1 w=${1%x*} h=${1#*x}
  local side=$((w > h ? w : h))
  convert "$photo" -resize "${side}x${side}" -gravity center -crop "${size}+0+0" +repage "$2"
}

median() { sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

if [ "$mode" = steps ]; then
  runs=${2:-30}
  threads=${3:-2}
  for size in 1280x720 1920x1080 4000x3000; do
    crop "$size" "$work/in-$size.png"
    echo "== $size, $threads threads, $runs runs"
    "$impasto" focus "$work/in-$size.png" -o "$work/out-$size.png" --runs "$runs" \
      --threads "$threads" | grep -v '^focus'
  done
  echo "== 4000x3000, the whole command once (PNG in and out included)"
  /usr/bin/time -f 'wall %e s, user %U s, max RSS %M KiB' "$impasto" focus \
    "$work/in-4000x3000.png" -o "$work/out-4000x3000.png" --threads "$threads" | tail -1
  exit 0
fi

rounds=${2:-5}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
command -v ffmpeg >/dev/null || { echo "needs the ffmpeg program" >&2; exit 1; }
crop 1280x720 "$work/in.png"
ffmpeg -nostdin -loglevel error -y -loop 1 -i "$work/in.png" -vf "noise=alls=8:allf=t+u" \
  -frames:v 100 -r 25 -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p "$work/in.mp4"
for t in 1 2; do : >"$work/photo-wall-$t"; : >"$work/photo-cpu-$t"; : >"$work/video-wall-$t"; : >"$work/video-cpu-$t"; done
for ((r = 0; r < rounds; r++)); do
  order="1 2"
  [ $((r % 2)) -eq 1 ] && order="2 1"
  for t in $order; do
    # The photo: the "total" of impasto's median and cpu rows.
    "$impasto" focus "$work/in.png" -o "$work/out.png" --runs 20 --threads "$t" >"$work/log"
    awk '/^time +median/ {for (i = 1; i < NF; i++) if ($i == "total") print $(i + 1)}' \
      "$work/log" >>"$work/photo-wall-$t"
    awk '/^ +cpu/ {for (i = 1; i < NF; i++) if ($i == "total") print $(i + 1)}' \
      "$work/log" >>"$work/photo-cpu-$t"
    # The video: the whole command.
    /usr/bin/time -f '%e %U %S' -o "$work/time" "$impasto" focus "$work/in.mp4" \
      -o "$work/out.mp4" --threads "$t" --quiet >/dev/null
    awk '{print $1}' "$work/time" >>"$work/video-wall-$t"
    awk '{print $2 + $3}' "$work/time" >>"$work/video-cpu-$t"
  done
done
echo "load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %12s %12s %8s\n' "median of $rounds rounds" "1 thread" "2 threads" "1 / 2"
for what in "photo-wall photo 1280x720, wall per frame (ms)" \
            "photo-cpu photo 1280x720, CPU per frame (ms)" \
            "video-wall video 1280x720 x 100, wall (s)" \
            "video-cpu video 1280x720 x 100, user+sys (s)"; do
  key=${what%% *} label=${what#* }
  a=$(median <"$work/$key-1") b=$(median <"$work/$key-2")
  printf '%-44s %12.2f %12.2f %8.2f\n' "$label" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')"
done
