# shellcheck shell=bash
# Shared by scripts/build.sh and scripts/test.sh: install what the build
# needs (Debian's packages, only those missing), configure and build.
# Source it; it defines functions and IMP_ROOT, and runs nothing.

IMP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMP_JOBS=${IMP_JOBS:-$(nproc 2>/dev/null || echo 2)}

# The selfie models the main job and `impasto focus` run, pinned: npm
# package, version, and the sha256 of each .tflite inside it (general
# 256x256, landscape 144x256).
IMP_SELFIE_PACKAGE=@mediapipe/selfie_segmentation
IMP_SELFIE_VERSION=0.1.1675465747
IMP_SELFIE_SHA256=8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27
IMP_SELFIE_LANDSCAPE_SHA256=4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894

imp_log() { printf '==> %s\n' "$*" >&2; }
imp_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

imp_as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    imp_die "need root to run: $* (run as root, or install the packages yourself)"
  fi
}

# imp_apt_install PACKAGE...: install those not installed yet.
imp_apt_install() {
  local missing=() p
  if ! command -v dpkg-query >/dev/null 2>&1; then
    imp_log "not a Debian system: make sure these are installed: $*"
    return 0
  fi
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  imp_log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists, an old one may have stale ones:
  # refresh them only when an install fails.
  imp_as_root apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    { imp_as_root apt-get update -q &&
      imp_as_root apt-get install -y -q --no-install-recommends "${missing[@]}"; } ||
    imp_die "could not install ${missing[*]}"
}

imp_install_build_deps() {
  imp_apt_install build-essential cmake ninja-build libpng-dev libjpeg-dev
}

# apps/media's video files and cameras (FFmpeg's libraries, found with
# pkg-config) and windows (SDL2); the ffmpeg program the video tests make
# their sample files with, and Xvfb + ImageMagick + xdotool for the window and
# key tests.
imp_install_video_deps() {
  imp_apt_install pkg-config libavformat-dev libavcodec-dev libswscale-dev \
    libswresample-dev libavutil-dev libavdevice-dev libsdl2-dev ffmpeg xvfb xauth \
    imagemagick xdotool
}

# ONNX's own backend node tests (a tiny model, inputs and expected outputs per
# case), which tests/test_onnx_conformance runs; it skips without them.
imp_install_conformance_deps() {
  imp_apt_install libonnx-testdata
}

# Debian's python3-onnx: test_onnx_write runs onnx.checker over the ONNX
# files impasto writes (and skips that part when it is absent).
imp_install_onnx_check_deps() {
  imp_apt_install python3-onnx
}

# The photos test_cli_stylize paints end to end (python3-skimage's data
# folder: chelsea.png and friends); the test skips that part without them.
imp_install_stylize_deps() {
  imp_apt_install python3-skimage
}

# The gallery (scripts/gallery.sh): opencv-doc's held-out photos and Starry
# Night, ImageMagick for the paintings' thumbnails (test_gallery needs only
# ImageMagick and skips without it).
imp_install_gallery_deps() {
  imp_apt_install opencv-doc imagemagick
}

# Natural photographs for training style networks (scripts/photos.sh): Debian
# packages whose pictures are photographs, and scikit-image's sample data.
IMP_PHOTO_PACKAGES=(mate-backgrounds plasma-workspace-wallpapers lomiri-wallpapers-16.04
                    palapeli-data python3-skimage)
imp_install_photo_deps() {
  imp_apt_install "${IMP_PHOTO_PACKAGES[@]}"
}

# imp_build DIR [CMAKE_ARG...]: configure (Release, warnings as errors
# unless the arguments say otherwise) and build everything.
imp_build() {
  local dir=$1
  shift
  imp_log "building in $dir"
  cmake -S "$IMP_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIMP_WERROR=ON \
    "$@" >/dev/null || imp_die "cmake failed to configure $dir"
  ninja -C "$dir" -j "$IMP_JOBS" || imp_die "the build in $dir failed"
}

imp_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Fetch both selfie segmentation models from the npm registry into
# third_party/npm/ (ignored by git), unless they are there already with the
# right sha256; `impasto focus` finds them there by itself.
imp_selfie_fetch() {
  local dir="$IMP_ROOT/third_party/npm/selfie_segmentation-$IMP_SELFIE_VERSION"
  local general="$dir/package/selfie_segmentation.tflite"
  local landscape="$dir/package/selfie_segmentation_landscape.tflite"
  if [ -f "$general" ] && [ "$(imp_sha256 "$general")" = "$IMP_SELFIE_SHA256" ] &&
    [ -f "$landscape" ] && [ "$(imp_sha256 "$landscape")" = "$IMP_SELFIE_LANDSCAPE_SHA256" ]; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || imp_apt_install nodejs npm
  imp_log "fetching $IMP_SELFIE_PACKAGE@$IMP_SELFIE_VERSION from the npm registry"
  rm -rf "$dir"
  mkdir -p "$dir"
  # npm pack only downloads the tarball: no install scripts run.
  local tarball
  tarball=$(cd "$dir" && npm pack --ignore-scripts --silent \
    "$IMP_SELFIE_PACKAGE@$IMP_SELFIE_VERSION" 2>/dev/null | tail -n 1) ||
    imp_die "npm could not fetch $IMP_SELFIE_PACKAGE@$IMP_SELFIE_VERSION"
  [ -f "$dir/$tarball" ] || imp_die "npm pack made no tarball in $dir"
  tar -xzf "$dir/$tarball" -C "$dir" package/selfie_segmentation.tflite \
    package/selfie_segmentation_landscape.tflite ||
    imp_die "$tarball does not hold both selfie segmentation models"
  [ "$(imp_sha256 "$general")" = "$IMP_SELFIE_SHA256" ] ||
    imp_die "$general does not have the expected sha256 $IMP_SELFIE_SHA256"
  [ "$(imp_sha256 "$landscape")" = "$IMP_SELFIE_LANDSCAPE_SHA256" ] ||
    imp_die "$landscape does not have the expected sha256 $IMP_SELFIE_LANDSCAPE_SHA256"
}

# Print the path of the (general) selfie segmentation model, fetching both
# models the first time. IMP_SELFIE_MODEL=/path/to/selfie_segmentation.tflite
# skips the fetch.
imp_selfie_model() {
  if [ -n "${IMP_SELFIE_MODEL:-}" ]; then
    [ -f "$IMP_SELFIE_MODEL" ] || imp_die "IMP_SELFIE_MODEL=$IMP_SELFIE_MODEL: no such file"
    printf '%s\n' "$IMP_SELFIE_MODEL"
    return 0
  fi
  imp_selfie_fetch
  printf '%s\n' "$IMP_ROOT/third_party/npm/selfie_segmentation-$IMP_SELFIE_VERSION/package/selfie_segmentation.tflite"
}

# The same for the landscape (144x256) model; no override.
imp_selfie_landscape_model() {
  imp_selfie_fetch
  printf '%s\n' "$IMP_ROOT/third_party/npm/selfie_segmentation-$IMP_SELFIE_VERSION/package/selfie_segmentation_landscape.tflite"
}
