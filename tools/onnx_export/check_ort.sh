#!/bin/sh
# Checks the ONNX files 'impasto convert' writes against ONNX Runtime:
# every golden fixture in tests/data/goldens/ (and, when ../shared/models is
# there, the four Johnson style nets with their fused norms and folded
# crops, and the TFLite selfie segmenter; when test_onnx_write has run, its
# fused and legacy graphs too) is
# converted to ONNX, checked with onnx.checker (Debian's
# python3-onnx, when present), run by impasto from the original and by ONNX
# Runtime (npm onnxruntime-node, installed like tools/goldens/make_all.sh
# does) from the written file, and the outputs compared.
#   tools/onnx_export/check_ort.sh [BUILD_DIR] [TOLERANCE]
# Not part of the test suite (it needs npm and takes a minute).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
tol=${2:-1e-4}
impasto=$build/apps/impasto/impasto
goldens=$root/tests/data/goldens
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x "$impasto" ] || { echo "check_ort: build impasto first ($impasto)" >&2; exit 1; }
ort=$root/tools/goldens/ort
if [ ! -d "$ort/node_modules/onnxruntime-node" ]; then
    (cd "$ort" && ONNXRUNTIME_NODE_INSTALL=skip \
        npm install --ignore-scripts --no-audit --no-fund --no-package-lock)
fi
checker=0
"$py" -c 'import onnx' 2>/dev/null && checker=1

# One model: convert, check, run impasto on the original; append a line.
one() { # NAME MODEL INPUT_TOKENS...
    name=$1 model=$2
    shift 2
    out=$work/$name.onnx
    "$impasto" convert "$model" "$out" >/dev/null
    if [ $checker = 1 ]; then
        "$py" -c 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)' "$out"
    fi
    mkdir -p "$work/$name.ref"
    args=""
    line="model=$out"
    for t in "$@"; do
        args="$args -i $t"
        line="$line in:$t"
    done
    # shellcheck disable=SC2086
    "$impasto" run "$model" $args -o "$work/$name.ref" >/dev/null
    "$py" - "$out" "$work/$name.ref" >>"$work/list.txt" <<'PY'
import sys, os, onnx
m = onnx.load(sys.argv[1])
line = []
for o in m.graph.output:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in o.name)
    line.append("out:%s=%s" % (o.name, os.path.join(sys.argv[2], safe + ".npy")))
print(" ".join(line))
PY
    # join the model line and its outputs
    last=$(tail -n 1 "$work/list.txt")
    sed -i '$ d' "$work/list.txt"
    echo "$line $last" >>"$work/list.txt"
}

: >"$work/list.txt"
grep '^model=' "$goldens/manifest.txt" | while read -r first rest; do
    model=${first#model=}
    tokens=""
    for t in $rest; do
        case $t in
            in:*) kv=${t#in:}; tokens="$tokens ${kv%%=*}=$goldens/${kv#*=}" ;;
        esac
    done
    # shellcheck disable=SC2086
    one "${model%.onnx}" "$goldens/$model" $tokens
done

johnson=$root/../shared/models/style/johnson-instancenorm-onnx
if [ -d "$johnson" ]; then
    "$py" -c 'import numpy as np, sys
rng = np.random.default_rng(7)
np.save(sys.argv[1], (rng.random((1, 3, 720, 720)) * 255).astype(np.float32))' "$work/photo.npy"
    for net in candy la_muse mosaic udnie; do
        one "$net" "$johnson/$net.onnx" "inputImage=$work/photo.npy"
    done
fi
selfie=$root/../shared/models/segmentation/mediapipe-selfie/selfie_segmentation.tflite
if [ -f "$selfie" ] && "$py" -c 'import skimage' 2>/dev/null; then
    # TFLite -> ONNX, on the astronaut (a person, so the mask is not all 0).
    "$py" -c 'import numpy as np, skimage.io, skimage.transform, sys
im = skimage.io.imread(sys.argv[1])[..., :3]
x = skimage.transform.resize(im, (256, 256), anti_aliasing=True)
np.save(sys.argv[2], x.astype(np.float32)[None])' "$root/assets/astronaut.png" "$work/astronaut.npy"
    one selfie "$selfie" "input_1=$work/astronaut.npy"
fi

# The fused and legacy graphs test_onnx_write builds in C, when it has run:
# converted once more, so this also checks a second-generation export.
for name in fused legacy; do
    f=$build/test_onnx_write_$name.onnx
    [ -f "$f" ] || continue
    if [ $name = fused ]; then dims='(1, 3, 7, 9)'; else dims='(1, 2, 6, 10)'; fi
    "$py" -c "import numpy as np, sys
np.save(sys.argv[1], (np.random.default_rng(3).random($dims) * 4 - 2).astype(np.float32))" \
        "$work/$name.x.npy"
    one "test_$name" "$f" "x=$work/$name.x.npy"
done
node "$here/ort_compare.js" "$work/list.txt" "$tol"
