#!/usr/bin/env bash
# A style network impasto trained, against ONNX Runtime on its own ONNX
# export, at the frame sizes of the targets (issue 7: 640x480 in 16 ms and
# 1280x720 in 40 ms with 2 threads, at most 0.33x ORT's latency).
#
#   bench/student/run.sh MODEL.imp [--threads 1,2] [--sizes 640x480,1280x720]
#
# The .imp is written as ONNX by `impasto convert`, its open spatial dims
# fixed per size with python3-onnx (ORT's benchmark takes the model's own
# shape), then bench/peers/compare.py times both, interleaved.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
model=${1:?usage: bench/student/run.sh MODEL.imp [--threads 1,2] [--sizes WxH,...]}
shift
threads=1,2 sizes=640x480,1280x720
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    *) echo "bench/student/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
impasto=${IMPASTO:-$root/build/apps/impasto/impasto}
[ -d "$root/bench/peers/node_modules/onnxruntime-node" ] ||
  (cd "$root/bench/peers" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$impasto" convert "$model" "$work/open.onnx" >/dev/null
models=()
for s in ${sizes//,/ }; do
  w=${s%x*} h=${s#*x}
  /usr/bin/python3 - "$work/open.onnx" "$work/student-${s}.onnx" "$h" "$w" <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
dims = m.graph.input[0].type.tensor_type.shape.dim
for d, v in zip(dims, (1, 3, int(sys.argv[3]), int(sys.argv[4]))):
    d.ClearField("dim_param")
    d.dim_value = v
onnx.save(m, sys.argv[2])
PY
  models+=("$work/student-${s}.onnx")
done
/usr/bin/python3 "$root/bench/peers/compare.py" --impasto "$impasto" --threads "$threads" \
  --rounds 3 --runs-per-round 5 "${models[@]}"
