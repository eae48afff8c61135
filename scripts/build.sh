#!/usr/bin/env bash
# Set up and run the main job on a fresh Debian 12 machine: install the
# build dependencies, build impasto, fetch the MediaPipe selfie
# segmentation models from npm, cut the person out of the bundled photo and
# blur its background, and paint the photo in a shipped style.
#
#   bash scripts/build.sh            # writes out/astronaut-mask.png,
#                                    # out/astronaut-overlay.png,
#                                    # out/astronaut-focus.png and
#                                    # out/astronaut-stylized.png
#   IMP_SELFIE_MODEL=path.tflite bash scripts/build.sh   # use a local copy
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

imp_install_build_deps
imp_install_video_deps
imp_build "$IMP_ROOT/build"
model=$(imp_selfie_model)

cd "$IMP_ROOT"
mkdir -p out
build/apps/impasto/impasto segment "$model" assets/astronaut.png \
  -o out/astronaut-mask.png --overlay out/astronaut-overlay.png
build/apps/impasto/impasto focus assets/astronaut.png --model "$model" \
  -o out/astronaut-focus.png
# A shipped style: Starry Night when models/ has it, else stylize's
# default (the first shipped style).
stylized="no shipped styles (models/)"
styles=$(build/apps/impasto/impasto styles --json)
if [[ "$styles" == *'"name"'* ]]; then
  style=()
  [[ "$styles" == *'"name": "starry_night"'* ]] && style=(--style starry_night)
  build/apps/impasto/impasto stylize assets/astronaut.png -o out/astronaut-stylized.png \
    "${style[@]}"
  stylized="$IMP_ROOT/out/astronaut-stylized.png"
fi
printf '\nimpasto is built: %s\n' "$IMP_ROOT/build/apps/impasto/impasto"
printf 'person mask:      %s\n' "$IMP_ROOT/out/astronaut-mask.png"
printf 'overlay:          %s\n' "$IMP_ROOT/out/astronaut-overlay.png"
printf 'background blur:  %s\n' "$IMP_ROOT/out/astronaut-focus.png"
printf 'stylized:         %s\n' "$stylized"
