#!/usr/bin/env bash
# Makes target/browser-venv, the Python the browser test drives Chromium's
# DevTools protocol with (scripts/browser/dashboard.py). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/browser-venv
req=scripts/browser/requirements.txt
if [ -x "$venv/bin/python" ] && cmp -s "$req" "$venv/requirements.txt"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
cp "$req" "$venv/requirements.txt"
