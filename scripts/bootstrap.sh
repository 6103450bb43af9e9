# Sourced by .ci/run and scripts/demo.sh: makes Node >= 22 and pnpm available on a fresh machine,
# installing both from the npm registry (the only network this project assumes) when missing.
# shellcheck shell=bash
TOOLS_DIR="${TRACEWRIGHT_TOOLS_DIR:-$HOME/.cache/tracewright-tools}"
PNPM_VERSION="10.34.8"
export TURBO_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1

node_is_recent() {
  command -v node >/dev/null 2>&1 &&
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' 2>/dev/null
}

if ! node_is_recent; then
  if [ ! -x "$TOOLS_DIR/node24/node_modules/.bin/node" ]; then
    echo "bootstrap: installing Node.js 24 from the npm registry into $TOOLS_DIR/node24" >&2
    npm install --prefix "$TOOLS_DIR/node24" --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  export PATH="$TOOLS_DIR/node24/node_modules/.bin:$PATH"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if [ ! -x "$TOOLS_DIR/pnpm/node_modules/.bin/pnpm" ]; then
    echo "bootstrap: installing pnpm $PNPM_VERSION from the npm registry into $TOOLS_DIR/pnpm" >&2
    npm install --prefix "$TOOLS_DIR/pnpm" --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$TOOLS_DIR/pnpm/node_modules/.bin:$PATH"
fi

echo "bootstrap: node $(node --version), pnpm $(pnpm --version)" >&2
