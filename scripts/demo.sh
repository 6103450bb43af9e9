#!/usr/bin/env bash
# The main demo on a fresh machine: bootstrap Node and pnpm, install, trace the quickstart RAG
# pipeline into the embedded store (examples/quickstart/.tracewright/traces.db) and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
pnpm install --frozen-lockfile --reporter=silent
pnpm --silent demo
