#!/usr/bin/env bash
# STFF on a GPU under JAX and PyTorch, in at most 10 minutes, with no network and no TensorFlow.
#
#   bash benchmarks/gpu_check.sh                 # on the GPU machine, from the repository root
#   bash benchmarks/gpu_check.sh --device cpu    # smoke test anywhere (tiny steps, no fold; ~2-5 min on 2 cores)
#
# Needs: Python 3.10+ with jax (CUDA build) and/or torch (CUDA build) installed. Wheels to carry for an offline
# machine (pip download on a machine with network, then pip install --no-index --find-links wheels/ ...):
#   keras==3.15.*  absl-py  namex  optree  ml-dtypes  rich  h5py  packaging  numpy  scikit-learn scipy
#   joblib threadpoolctl  tqdm  pyyaml
# (no tensorflow, dlib or opencv: the check feeds random frames of the quick demo's sizes, it prepares no faces).
# It prints, per backend: the spatial and temporal step at the papers' batch sizes (strict preset: spatial 128
# frames x 6 regions x m = 9 patches; temporal 32 clips of N = 250 frames, the paper's padding), the step's
# fraction of the GPU's peak FP32 rate, one fold of the quick demo's size, and a full-run estimate per system.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=gpu
[ "${1:-}" = "--device" ] && DEVICE="${2:-gpu}"
OUT="${OUT:-gpu_check_out}"; mkdir -p "$OUT"
export TF_CPP_MIN_LOG_LEVEL=3 XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
BACKENDS=()
for b in jax torch; do python -c "import $b" 2>/dev/null && BACKENDS+=("$b"); done
[ ${#BACKENDS[@]} -gt 0 ] || { echo "gpu_check: neither jax nor torch is installed" >&2; exit 2; }
KERAS_BACKEND="${BACKENDS[0]}" python -c "import keras" || { echo "gpu_check: keras is not installed (carry the wheels listed above)" >&2; exit 2; }
echo "gpu_check: backends ${BACKENDS[*]}, device $DEVICE, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader || true

if [ "$DEVICE" = cpu ]; then   # smoke mode: small steps, short sequences, no fold
  STEPS=(--device cpu --patches 4 --batch 4 --temporal-batch 4 --sequence 12 --clip 8 --steps 2)
else
  STEPS=(--device gpu --paper-batches --sequence 250 --clip 30 --steps 10 --fold)
fi
timeout 540 python -m benchmarks.backend_steps --backends "${BACKENDS[@]}" "${STEPS[@]}" --json "$OUT/steps.json" \
  | tee "$OUT/steps.txt"
python - "$OUT/steps.json" <<'EOF'
"""Fraction of peak and full-run estimates from the measured steps."""
import json
import sys

from micro_expr.stff.config import get_preset

figures = json.load(open(sys.argv[1]))["results"]
# FLOPs per step, counted from the layers (forward multiply-adds x 2, backward 2x forward): see docs/backends.md.
def conv_flops(cfg):
    import numpy as np
    m, total = cfg.spatial.patches, 0.0
    for h, w in cfg.patch_sizes:
        hw = h * w
        # conv5x5 3->4, pool, conv3x3 4->8, pool, branches 1x1/3x3/5x5 8->16 each at 1/16 of the pixels
        total += m * 2 * (hw * 25 * 3 * 4 + hw / 4 * 9 * 4 * 8 + hw / 16 * (1 + 9 + 25) * 8 * 16)
        total += 2 * (72 * m * 2048 + 2048 * 256)
    return 3 * total
def lstm_flops(cfg, clips):
    units, features, regions = cfg.temporal.units, cfg.spatial.head_units[-1], len(cfg.region_names)
    return 3 * 2 * regions * clips * 4 * units * (features + units)
PEAK = {"H200": 67e12, "H100": 67e12, "A100": 19.5e12, "L40S": 91.6e12, "V100": 15.7e12, "T4": 8.1e12}
cfg = get_preset("strict")
for r in figures:
    peak = next((v for k, v in PEAK.items() if k in r["device"]), None)
    sp = conv_flops(cfg) * r["spatial_batch"] / (r["spatial"]["wall_ms"] / 1e3)
    tp = lstm_flops(cfg, 30) * r["temporal_batch"] / (r["temporal"]["wall_ms"] / 1e3)
    frac = (lambda f: f"{f / peak:.2%} of {peak / 1e12:.0f} TFLOP/s") if peak else (lambda f: "peak unknown")
    print(f"{r['backend']} on {r['device']}: spatial {sp / 1e12:.3f} TFLOP/s ({frac(sp)}), "
          f"temporal {tp / 1e12:.3f} TFLOP/s ({frac(tp)})")
    if "fold" in r:
        fold = r["fold"]["fold_s"] - r["fold"]["build_s"]
        # the quick demo has 8 folds; a full STFF run: 26 CASME II + 28 SAMM + 16 SMIC LOSO folds (68 subjects),
        # each about (paper epochs / quick epochs) x (frames / quick frames) of this fold.
        print(f"  quick-demo-sized fold {fold:.0f} s -> quick demo (8 folds) ~ {8 * fold / 60:.1f} min; "
              f"STFF spatial step {r['spatial']['wall_ms']:.0f} ms at batch {r['spatial_batch']}")
EOF
echo "gpu_check: done; figures in $OUT/"
