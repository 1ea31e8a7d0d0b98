#!/usr/bin/env bash
# Renders 6 frames of every built-in preset at its real size and writes docs/contact_sheets/<preset>.png.
# Usage: docs/make_contact_sheets.sh [work folder]   (about 2-4 minutes on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
dp=${DEPTHPROBE:-.venv/bin/depthprobe}
mkdir -p docs/contact_sheets
for preset in $($dp validate --help >/dev/null && ls scenes/presets/*.yaml | xargs -n1 basename | sed 's/\.yaml$//' | grep -v '^_'); do
  $dp generate "$preset" --out "$work/$preset" --limit 6 --resume >/dev/null
  $dp sheet "$work/$preset" --out "docs/contact_sheets/$preset.png" --limit 6 --columns 2
done
