#!/usr/bin/env bash
# Write fuzz/corpus/video/ seeds: tiny clips (a few frames of 8 to 34 pixels
# a side, each file a few KB) in the containers and codecs the video reader
# meets most, plus the corners its conversion handles on its own: a width
# that is not a multiple of 8, full-range colour, a pixel aspect, a
# rotation, audio between frames, a frame size that changes midway.
#
#   tools/fuzz/make_video_seeds.sh
#
# Needs the ffmpeg program (Debian's ffmpeg). The seeds are committed; run
# this again only to change them (encoders' versions make the bytes differ).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/fuzz/corpus/video"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# seed NAME ARGS...: ffmpeg ARGS... NAME, quietly, with no metadata of its
# own (encoder strings would only cost bytes).
seed() {
  local name=$1
  shift
  ffmpeg -nostdin -hide_banner -loglevel error -y "$@" -map_metadata -1 \
    -fflags +bitexact -flags:v +bitexact "$out/$name"
}
src="testsrc2=size=32x24:rate=10"

seed raw.y4m -f lavfi -i "$src" -frames:v 3 -pix_fmt yuv420p
seed odd_width.y4m -f lavfi -i "testsrc2=size=18x10:rate=10" -frames:v 2 -pix_fmt yuv444p
seed h264.mp4 -f lavfi -i "$src" -frames:v 3 -c:v libx264 -preset ultrafast \
  -x264-params "bframes=1:keyint=3" -pix_fmt yuv420p
# The display matrix is written only by a stream copy (FFmpeg 5.1).
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "$src" -frames:v 3 -c:v mpeg4 \
  -q:v 20 "$tmp/mpeg4.mp4"
seed mpeg4_rotated.mp4 -i "$tmp/mpeg4.mp4" -c copy -metadata:s:v:0 rotate=90
seed vp8.webm -f lavfi -i "$src" -frames:v 3 -c:v libvpx -b:v 20k
seed vp9.webm -f lavfi -i "$src" -frames:v 2 -c:v libvpx-vp9 -b:v 20k -deadline realtime
seed mjpeg_full_range.avi -f lavfi -i "testsrc2=size=16x16:rate=10" -frames:v 2 \
  -c:v mjpeg -q:v 31 -pix_fmt yuvj420p
seed ffv1_sar_audio.mkv -f lavfi -i "$src" -f lavfi \
  -i "sine=frequency=440:sample_rate=8000" -frames:v 3 -t 0.3 -c:v ffv1 \
  -vf setsar=2/1 -c:a pcm_s16le
seed mpeg2.ts -f lavfi -i "$src" -frames:v 3 -c:v mpeg2video -q:v 20
seed gif.gif -f lavfi -i "testsrc2=size=8x8:rate=10" -frames:v 2

# A size change midway: two streams of one codec joined at the bitstream.
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=16x16:rate=10" \
  -frames:v 2 -c:v mpeg2video -q:v 20 -f mpeg2video "$tmp/a.m2v"
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=34x20:rate=10" \
  -frames:v 2 -c:v mpeg2video -q:v 20 -f mpeg2video "$tmp/b.m2v"
cat "$tmp/a.m2v" "$tmp/b.m2v" >"$out/size_change.m2v"

ls -l "$out"
