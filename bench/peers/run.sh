#!/usr/bin/env bash
# One command for the peer benchmark: installs ONNX Runtime (npm
# onnxruntime-node) into this folder, exports the benchmark models with
# Debian's python3-torch, builds impasto, and prints impasto vs ORT.
#   bench/peers/run.sh [--quick] [--mobile|--johnson] [--threads 1,2] [--markdown FILE]
# --quick: 256x256 models only, fewer runs (a smoke test, not for BENCHMARKS.md).
# --mobile: only the MobileNet-class networks; --johnson: only the style nets.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
quick=0
want_johnson=1
want_mobile=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --mobile) want_johnson=0 ;;
    --johnson) want_mobile=0 ;;
    *) args+=("$1") ;;
  esac
  shift
done

need_apt=()
command -v node >/dev/null || need_apt+=(nodejs npm)
/usr/bin/python3 -c "import torch, onnx" 2>/dev/null || need_apt+=(python3-torch python3-onnx)
command -v cmake >/dev/null || need_apt+=(cmake)
command -v ninja >/dev/null || need_apt+=(ninja-build)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
  # Its install script fetches GPU files from a host we cannot reach; the
  # CPU library ships inside the npm package and needs none of them.
  (cd "$here" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund)
fi

cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$root/build" impasto >/dev/null

models_dir="$here/models"
/usr/bin/python3 "$here/export_models.py" "$models_dir" >/dev/null
models=()
if [ $want_mobile = 1 ]; then
  # torchvision architectures (export_models.py): classifiers at 224x224,
  # the LR-ASPP segmentation net at 512x512 (not in --quick).
  models+=("$models_dir"/mobilenetv2-224x224.onnx
           "$models_dir"/mobilenetv3-{small,large}-224x224.onnx)
  [ $quick = 1 ] || models+=("$models_dir/lraspp-mobilenetv3-large-512x512.onnx")
fi
if [ $want_johnson = 1 ]; then
  for v in johnson narrow; do
    for up in upsample convtranspose; do
      models+=("$models_dir/$v-$up-256x256.onnx")
      [ $quick = 1 ] || models+=("$models_dir/$v-$up-640x480.onnx")
    done
  done
fi
shared="$root/../shared/models/style/johnson-instancenorm-onnx"
if [ $quick = 0 ] && [ $want_johnson = 1 ] && [ -d "$shared" ]; then
  # The four Johnson nets share one graph (only weights differ), so one of
  # them times all four; IMP_BENCH_ALL_JOHNSON=1 runs each.
  if [ "${IMP_BENCH_ALL_JOHNSON:-0}" = 1 ]; then
    models+=("$shared"/{candy,la_muse,mosaic,udnie}.onnx)
  else
    models+=("$shared/candy.onnx")
  fi
fi
rounds=3
[ $quick = 1 ] && rounds=1
echo "impasto vs ONNX Runtime $(node -p "require('$here/node_modules/onnxruntime-node/package.json').version") on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
exec /usr/bin/python3 "$here/compare.py" --impasto "$root/build/apps/impasto/impasto" \
  --rounds $rounds ${args[@]+"${args[@]}"} "${models[@]}"
