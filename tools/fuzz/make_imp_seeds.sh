#!/usr/bin/env bash
# Write fuzz/corpus/imp/ seeds: the .imp form of every ONNX and TFLite seed
# that loads, made by `impasto convert` from a build of the CLI.
#
#   tools/fuzz/make_imp_seeds.sh [BUILD_DIR]     (default: build)
#
# Run tools/fuzz/make_corpus.py first. Seeds that do not load (the bad_*
# ones, or ops this build lacks) are skipped and listed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
cli="$build/apps/impasto/impasto"
if [ ! -x "$cli" ]; then
  echo "make_imp_seeds.sh: no $cli (build the CLI first)" >&2
  exit 2
fi
out="$root/fuzz/corpus/imp"
mkdir -p "$out"
made=0
for f in "$root"/fuzz/corpus/onnx/*.onnx "$root"/fuzz/corpus/tflite/*.tflite; do
  name=$(basename "$f")
  case $name in bad_* | regress_*) continue ;; esac
  dest="$out/${name%.*}_${name##*.}.imp"
  if "$cli" convert "$f" "$dest" >/dev/null 2>&1; then
    made=$((made + 1))
  else
    rm -f "$dest"
    echo "skipped $name: $("$cli" info "$f" 2>&1 | tail -1)"
  fi
done
# Seeds with a metadata section (format 1.1), and ONNX seeds as impasto's
# ONNX writer makes them (metadata_props, lowered fused nodes).
meta=(--meta impasto.input.layout=NCHW --meta impasto.input.range=0,255
      --meta "impasto.style.wave.title=$(printf 'The Great Wave\noff Kanagawa \xe7\xa5\x9e')"
      --meta empty=)
for name in conv_relu johnson_opset7; do
  "$cli" convert "$root/fuzz/corpus/onnx/$name.onnx" "$out/${name}_meta.imp" "${meta[@]}" >/dev/null
  "$cli" convert "$root/fuzz/corpus/onnx/$name.onnx" \
    "$root/fuzz/corpus/onnx/written_${name}_meta.onnx" "${meta[@]}" >/dev/null
  made=$((made + 1))
done
echo "$made .imp seeds in $out ($(du -cb "$out"/*.imp 2>/dev/null | tail -1 | cut -f1) bytes)"
