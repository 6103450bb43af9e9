#!/usr/bin/env bash
# The main demo on a fresh machine: bootstrap Node and pnpm, install, trace the quickstart RAG
# pipeline into the embedded store (./.tracewright/traces.db at the repository root, the store
# `pnpm ui` serves) and show its trace tree. Safe to run again: each run adds one trace.
set -euo pipefail
cd "$(dirname "$0")/.."
user_path="$PATH"
source scripts/bootstrap.sh
pnpm install --frozen-lockfile --reporter=silent
pnpm --silent demo
# the viewer over the same store; name the bootstrapped tools when they are not on the user's PATH
prefix=""
if [ "$PATH" != "$user_path" ]; then prefix="PATH=\"${PATH%"$user_path"}\$PATH\" "; fi
echo
echo "See it in the browser: ${prefix}pnpm ui   (http://127.0.0.1:5173/)"
