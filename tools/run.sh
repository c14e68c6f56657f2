#!/usr/bin/env bash
# Sets up and starts the service on http://localhost:8080 (pass --urls to change it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --run
# The store lives in data/ at the repository root (git ignores it) unless Rtser__DataDirectory says otherwise.
export Rtser__DataDirectory="${Rtser__DataDirectory:-$PWD/data}"
exec dotnet run -c Release --project src/Rtser.Api -- "$@"
