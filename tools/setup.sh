#!/usr/bin/env bash
# Installs the system packages, only where missing (Debian/Ubuntu, as root or via sudo), and restores the solution.
# `setup.sh --run`: only what running the service needs (ffmpeg, which decodes MP4/AAC from Safari, MP3 and FLAC;
# WAV and Opus need nothing). Without it, also what the tests and training need.
set -euo pipefail
packages=(ffmpeg)
if [ "${1:-}" != "--run" ]; then
  # numpy reads the feature export in tests; the rest runs training's unit tests and its CI smoke run.
  # postgresql runs the store suite on a real PostgreSQL (tools/postgres.sh).
  packages+=(python3-numpy python3-scipy python3-sklearn python3-torch python3-onnx python3-matplotlib postgresql)
  # chromium runs the page's tests (tests/Rtser.Web.Tests) through Playwright, which never downloads a browser here;
  # fonts-dejavu-core gives its headless pages and the README screenshot a font.
  packages+=(chromium fonts-dejavu-core)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet on PATH)" >&2; exit 1; }
if [ "${1:-}" = "--run" ]; then
  dotnet restore src/Rtser.Api --nologo -v quiet
else
  dotnet restore RTSER.sln --nologo -v quiet
fi
