#!/usr/bin/env bash
# Sets up and starts the service on http://localhost:8080 (pass --urls to change it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec dotnet run -c Release --project src/Rtser.Api -- "$@"
