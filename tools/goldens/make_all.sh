#!/bin/sh
# Regenerates every golden fixture under tests/data/goldens/:
#   1. export the small models and their inputs (Debian's python3-torch,
#      python3-onnx, python3-numpy: /usr/bin/python3, not a pyenv python);
#   2. run ONNX Runtime on them (npm onnxruntime-node, installed into the
#      ignored tools/goldens/ort/node_modules, used for nothing else);
#   3. the Johnson nets at 720x720 from ../shared/models, when present;
#   4. list op coverage and check ORT against PyTorch.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
goldens=$root/tests/data/goldens
scratch=$root/build-goldens   # PyTorch's outputs, never committed

if [ ! -d "$here/ort/node_modules/onnxruntime-node" ]; then
    # The package's install script would fetch GPU libraries from a host we
    # cannot reach; the CPU library ships in the package itself.
    (cd "$here/ort" && ONNXRUNTIME_NODE_INSTALL=skip \
        npm install --ignore-scripts --no-audit --no-fund --no-package-lock)
fi

"$py" "$here/export_models.py" --torch-dir "$scratch/torch"
node "$here/ort/run_ort.js" fixtures "$goldens"
# Where ONNX Runtime departs from ONNX's specification, the spec's reference wins.
/usr/bin/python3 "$here/onnx_reference_resize.py" "$goldens"

models=$root/../shared/models
if [ -d "$models/style/johnson-instancenorm-onnx" ]; then
    node "$here/ort/run_ort.js" johnson "$models" "$goldens/johnson" 2000
else
    echo "note: $models absent; keeping the committed Johnson goldens" >&2
fi

"$py" "$here/coverage.py" > "$scratch/coverage.txt"
"$py" "$here/compare.py" "$scratch/torch"
echo "fixtures: $(du -sb --apparent-size "$goldens" | cut -f1) bytes in $goldens"
