#!/usr/bin/env bash
# Speed-perturbed copy of a dataset for training (issue 4): every WAV played at <factor> times its speed, which
# scales tempo and pitch together (Kaldi/sox "speed"), with the folder layout and file names kept, so
# `rtser export` reads it as the same corpus. The training code gives each copy's speakers ids of their own.
#   bash tools/perturb.sh /work/shared/datasets/emodb /work/aug/emodb_sp0.9 0.9
#   dotnet run -c Release --project src/Rtser.Cli -- export /work/aug/emodb_sp0.9 --corpus emodb --out /work/features/emodb_sp0.9
set -euo pipefail
src=$1 dst=$2 factor=$3
cd "$src"
find . -name '*.wav' | sort | while read -r p; do
  mkdir -p "$dst/$(dirname "$p")"
  sr=$(ffprobe -v error -show_entries stream=sample_rate -of csv=p=0 "$p")
  rate=$(awk -v s="$sr" -v f="$factor" 'BEGIN { printf "%d", s * f + 0.5 }')
  # asetrate reinterprets the samples at rate (speed and pitch times factor); aresample brings it back to sr
  ffmpeg -nostdin -v error -y -i "$p" -af "asetrate=$rate,aresample=$sr" -c:a pcm_s16le "$dst/$p"
done
