#!/usr/bin/env bash
# Train the default model that ships as resources/models/default.safetensors, with the
# project's own `deblur train` on sharp photos blurred on the fly (synthetic camera
# shake, core/data/synth.py). Eight phases, as the shipped model was trained:
#   A  scripts/train_default_warmup.json: nafnet-s, Adam 5e-4 constant, L1, 50 epochs
#   B  scripts/train_default.json: fine-tunes A (--init-from) with AdamW 1e-3, cosine
#      with warm-up, Charbonnier + 0.05 FFT loss, grad clip, EMA 0.999 (saved as the model)
#   C  scripts/train_default_mixed.json: fine-tunes B on blur made half in linear light,
#      half in stored sRGB values (A and B saw linear light only and learned to darken),
#      AdamW 5e-4 cosine, batch 8, 160 px crops, same loss and EMA
#   D  scripts/train_default_long.json: C again, restarted (warm restart, AdamW 3e-4
#      cosine) with new crops and blur (seed 1) over the same held-apart split (val_seed 0):
#      C's Levin gain was still rising when its schedule ended
#   E  scripts/train_default_big_crops.json: D again, restarted (AdamW 2e-4 cosine) on
#      batches of 4 x 256 px crops (8x the longest kernel; 4 crops per photo per epoch)
#      with new blur (seed 2): more context around long shake, as Levin's long kernels were
#      where D was weakest
#   F  scripts/train_default_bigger_crops.json: E again, restarted (AdamW 1.5e-4 cosine) on
#      batches of 3 x 320 px crops with new blur (seed 3): E's gain had come from larger
#      crops and was still rising at its end
#   G  scripts/train_default_g.json: from EF, the mean of E's and F's weights (the default
#      shipped before G), restarted (AdamW 1.5e-4 cosine) on E's 4 x 256 px crops with
#      new blur (seed 4)
#   H  scripts/train_default_h.json: from EFG, the mean of EF and G (the default shipped
#      before H), restarted the same way with new blur (seed 5), 200 epochs; it keeps
#      its epoch-100 weights (train.keep_every), which are what ships
# A and B: 192 px crops (6x the longest 31 px kernel), batch 4. All: no GAN, seed 0.
#
#   scripts/train_default.sh          # runs A-H; resumes whichever was interrupted
#   scripts/train_default.sh export   # H's epoch-100 EMA weights -> resources/models/default.safetensors
#   EPOCHS_H=1000 scripts/train_default.sh   # a longer phase H, e.g. on a GPU (then pick the epoch-NNNN.pt to export)
#
# Training photos are only those free to use in a product (scripts/default_photos.py).
# Ctrl+C saves a checkpoint; running the script again resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/data}
RUNS=${RUNS:-runs}
DATA=${DATA:-$RUNS/default-data}
DEBLUR=${DEBLUR:-.venv/bin/deblur}
PY=${PY:-.venv/bin/python}
# Threads: phases A and B ran with one (on a CPU shared with other jobs two OpenMP
# threads spin-wait on each other: 12 s vs 2.5-4 s per step), C with two on a quiet
# machine (1.5 s per step of 8). Set OMP_NUM_THREADS to the free cores.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

train() {  # train RUN_DIR CONFIG [extra args]: start, or resume an interrupted run
  local run=$1 config=$2; shift 2
  if [ -f "$run/checkpoints/last.pt" ]; then
    "$DEBLUR" train --resume --out "$run" ${EPOCHS:+--epochs "$EPOCHS"}
  else
    "$DEBLUR" train --config "$config" --data "$DATA" --out "$run" ${EPOCHS:+--epochs "$EPOCHS"} "$@"
  fi
}
last() { echo "$RUNS/default-$1/checkpoints/last.pt"; }  # a phase's final weights (EMA)
done_() {  # a phase is done when it completed or the next phase has started from it
  grep -q "Training completed" "$RUNS/default-$1/log.txt" 2>/dev/null || [ -f "$(last "$2")" ]
}
phase() {  # phase NAME NEXT CONFIG [INIT]: train phase NAME (from the weights file INIT) unless done
  local name=$1 next=$2 config=$3 init=${4:-} epochs
  if [ -n "$next" ] && done_ "$name" "$next"; then return 0; fi
  epochs=EPOCHS_$(echo "$name" | tr a-z A-Z)  # EPOCHS_A ... EPOCHS_H override a phase's length
  EPOCHS="${!epochs:-}" train "$RUNS/default-$name" "scripts/$config" ${init:+--init-from "$init"}
}
mean_of() {  # mean_of OUT MODEL...: parameter-wise mean of models of one architecture ("model
  # soup", Wortsman et al. 2022: phases fine-tuned one from another lie in one basin, and
  # their mean is often better than each). OUT gets the last model's config.
  "$PY" - "$@" <<'PY'
import sys
from core.inference import export_safetensors, load_model
out, paths = sys.argv[1], sys.argv[2:]
models = [load_model(p) for p in paths]
states = [g.state_dict() for g, _ in models]
g, cfg = models[-1]
g.load_state_dict({k: sum(s[k] for s in states) / len(states) if v.is_floating_point() else v
                   for k, v in states[-1].items()})
out = export_safetensors(g, out, config=cfg)
print(f"exported the mean of {', '.join(paths)} -> {out} ({out.stat().st_size / 1e6:.1f} MB)")
PY
}

EF=$RUNS/default-ef.safetensors    # the mean of E and F: the default shipped before phase G
EFG=$RUNS/default-efg.safetensors  # the mean of EF and G: the default shipped before phase H
if [ "${1:-}" = "export" ]; then
  # The shipped weights: phase H's EMA weights halfway through its schedule, written as
  # safetensors with their config. Why not its final ones: docs/default-model.md.
  "$PY" -c 'import sys; from core.inference import export_safetensors as e; print("exported", e(*sys.argv[1:]))' \
    "$RUNS/default-h/checkpoints/epoch-0100.pt" "${MODEL_OUT:-resources/models/default.safetensors}"
  exit
fi

# The training folder: links to the photos, flat, so the seeded 12.5% validation split
# is drawn over single photos (kodim04, kodim08, kodim21 and grass are held apart).
"$PY" scripts/default_photos.py "$DATA" --shared "$SHARED"

phase a b train_default_warmup.json
phase b c train_default.json "$(last a)"
phase c d train_default_mixed.json "$(last b)"
phase d e train_default_long.json "$(last c)"
phase e f train_default_big_crops.json "$(last d)"
phase f g train_default_bigger_crops.json "$(last e)"
[ -f "$EF" ] || mean_of "$EF" "$(last e)" "$(last f)"
phase g h train_default_g.json "$EF"
[ -f "$EFG" ] || mean_of "$EFG" "$EF" "$(last g)"
phase h "" train_default_h.json "$EFG"
