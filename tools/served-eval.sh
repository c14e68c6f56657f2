#!/usr/bin/env bash
# The served path on held-out speakers (issue 18): every fold-model set (training/fold_models.py) scored by
# `rtser evaluate` on the clean corpus, on each degraded copy (tools/degrade.py) and with each speaker's recordings
# joined into one long recording; then gathered into training/results/served/ (training/served.py).
#   FOLDS=/work/folds DATA=../shared/datasets CONDS=/work/cond OUT=/work/served bash tools/served-eval.sh [config ...]
set -euo pipefail
cd "$(dirname "$0")/.."
FOLDS=${FOLDS:-/work/folds} DATA=${DATA:-../shared/datasets} CONDS=${CONDS:-/work/cond} OUT=${OUT:-/work/served}
CONDITIONS=${CONDITIONS:-"phone noise10 noise0_5 babble10 reverb"}
dotnet build -c Release src/Rtser.Cli --nologo -v quiet
rtser() { dotnet src/Rtser.Cli/bin/Release/net10.0/rtser.dll "$@"; }
mkdir -p "$OUT"
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=($(ls "$FOLDS"))
for config in "${configs[@]}"; do
  for dir in "$FOLDS/$config"/*/; do
    [ -f "$dir/manifest.json" ] || continue
    corpus=$(basename "$dir")
    rtser evaluate --folds "$dir" --data "$DATA/$corpus" --corpus "$corpus" --condition clean --out "$OUT/${config}__${corpus}__clean.json"
    rtser evaluate --folds "$dir" --data "$DATA/$corpus" --corpus "$corpus" --condition joined --joined --out "$OUT/${config}__${corpus}__joined.json"
    for cond in $CONDITIONS; do
      rtser evaluate --folds "$dir" --data "$CONDS/${corpus}_$cond" --corpus "$corpus" --condition "$cond" --out "$OUT/${config}__${corpus}__$cond.json"
    done
  done
done
/usr/bin/python3 -m training.served --evaluations "$OUT" --features-root "${FEATURES:-/work/features}"
