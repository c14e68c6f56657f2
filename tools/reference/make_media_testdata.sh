#!/usr/bin/env bash
# Writes the small browser-style recordings that tests/Rtser.Audio.Tests/Media decode into
# tests/Rtser.Audio.Tests/TestData. Debian: apt-get install ffmpeg (and, for the Chromium recording, chromium
# plus `npm install playwright-core` with NODE_PATH pointing at its node_modules).
# Run from the repository root: bash tools/reference/make_media_testdata.sh
# Sources: a 440 Hz sine, a 440/1000 Hz stereo pair (ffmpeg's sine source) and the espeak-ng sentence
# tests/Rtser.Features.Tests/TestData/espeak-16k.wav. Encoders: Debian ffmpeg 5.1 with libopus, aac, libmp3lame,
# flac, libvorbis. The tests only depend on the properties checked there (tone frequency and level, duration,
# correlation with the source), not on these exact bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tests/Rtser.Audio.Tests/TestData
speech=tests/Rtser.Features.Tests/TestData/espeak-16k.wav
mkdir -p "$out"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y -bitexact "$@"; }

# 2 s of a 440 Hz sine at amplitude 0.5 (RMS -9.03 dBFS), 48 kHz mono: 20 ms frames in WebM, 60 ms in Ogg.
tone=(-f lavfi -i "aevalsrc=0.5*sin(2*PI*440*t):s=48000:d=2")
ff "${tone[@]}" -c:a libopus -b:a 64k -frame_duration 20 "$out/tone440-20ms.webm"
ff "${tone[@]}" -c:a libopus -b:a 64k -frame_duration 60 "$out/tone440-60ms.ogg"
# Stereo: 440 Hz left, 1000 Hz right, each at amplitude 0.4; mixed to mono each is 0.2.
ff -f lavfi -i "aevalsrc=0.4*sin(2*PI*440*t)|0.4*sin(2*PI*1000*t):s=48000:d=2" -c:a libopus -b:a 128k "$out/twotone-stereo.webm"

# Speech (16 kHz source; OpusHead records 16000 as the input rate, decoding is at 48 kHz).
ff -i "$speech" -c:a libopus -b:a 32k -frame_duration 20 "$out/speech-20ms.webm"
ff -i "$speech" -c:a libopus -b:a 32k -frame_duration 20 "$out/speech-20ms.ogg"
ff -i "$speech" -c:a libopus -b:a 32k -frame_duration 60 "$out/speech-60ms.webm"
# MP4/AAC with the moov atom at the end (ffmpeg's default, so it cannot be read from a pipe) and an MP3.
ff -i "$speech" -c:a aac -b:a 48k "$out/speech-aac.mp4"
ff -i "$speech" -c:a libmp3lame -b:a 48k "$out/speech.mp3"
# Containers the managed path must refuse by name: Vorbis in WebM, a 0.5 s FLAC tone for ffmpeg.
ff -f lavfi -i "aevalsrc=0.5*sin(2*PI*440*t):s=16000:d=1" -c:a libvorbis -q:a 0 "$out/tone-vorbis.webm"
ff -f lavfi -i "aevalsrc=0.5*sin(2*PI*440*t):s=16000:d=0.5" -c:a flac "$out/tone440.flac"

# Chromium's MediaRecorder: live WebM (unknown-size Segment and Clusters, no Cues, no Duration), stereo Opus.
if command -v chromium >/dev/null && node -e "require('playwright-core')" 2>/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  ff -i "$speech" -ar 48000 "$tmp/speech48.wav"
  node tools/reference/record_chromium_webm.mjs "$tmp/speech48.wav" "$out/chromium-live.webm" 3
else
  echo "chromium or playwright-core missing: kept the committed chromium-live.webm" >&2
fi
ls -l "$out"
