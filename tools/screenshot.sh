#!/usr/bin/env bash
# Makes docs/screenshot.png, the README's picture of the page: the web tests' picture test uploads five EmoDB
# sentences (../shared/datasets) in headless Chromium and saves the page with its result and timeline.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs
# CI=true: without the corpora the picture test fails rather than skips, so no stale picture passes for a new one.
CI=true RTSER_SCREENSHOT="$PWD/docs/screenshot.png" dotnet test tests/Rtser.Web.Tests -c Release --nologo \
  --filter "FullyQualifiedName~The_page_with_a_result_and_its_timeline_can_be_pictured"
echo "wrote docs/screenshot.png"
