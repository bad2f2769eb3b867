#!/usr/bin/env bash
# Installs the end-to-end tools into .e2e/ (idempotent, offline apart from the npm registry):
#   .e2e/cs  code-server 4.100.3 (embeds VS Code 1.100.3, the last release that runs on Node 20)
#   .e2e/pw  playwright-core, driving Debian's /usr/bin/chromium (no browser download)
# Needs the Debian packages chromium, ripgrep, libkrb5-dev and pkg-config (scripts/install-system-deps.sh installs them as root).
# --workbench: only what opening the labeling workbench needs (code-server; no chromium, no playwright-core).
set -euo pipefail
purpose=tests
[ "${1:-}" = --workbench ] && purpose=workbench
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E=${E2E_DIR:-$ROOT/.e2e}
CS_VERSION=4.100.3
mkdir -p "$E2E/tmp"
export TMPDIR=$E2E/tmp XDG_CONFIG_HOME=$E2E/xdg/config XDG_DATA_HOME=$E2E/xdg/data XDG_CACHE_HOME=$E2E/xdg/cache

bash "$ROOT/scripts/install-system-deps.sh" --for "$purpose"

CS=$E2E/cs/node_modules/.bin/code-server
if [ -x "$CS" ] && "$CS" --version 2>/dev/null | grep -q "^$CS_VERSION "; then
  echo "code-server $CS_VERSION already installed"
else
  # @vscode/ripgrep's postinstall downloads rg from GitHub; pre-seed its cache with Debian's rg instead.
  RG_CACHE=$TMPDIR/vscode-ripgrep-cache-1.15.11
  mkdir -p "$RG_CACHE" "$E2E/rg"
  cp "$(command -v rg)" "$E2E/rg/rg"
  tar czf "$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$E2E/rg" rg
  mkdir -p "$E2E/cs"
  [ -f "$E2E/cs/package.json" ] || echo '{"private":true}' > "$E2E/cs/package.json"
  echo "installing code-server $CS_VERSION (a few minutes)..."
  (cd "$E2E/cs" && npm_config_unsafe_perm=true npm_config_yes=true npm install --no-save --no-audit --no-fund "code-server@$CS_VERSION" >"$E2E/cs-install.log" 2>&1) \
    || { tail -40 "$E2E/cs-install.log"; exit 1; }
  echo "installed code-server $("$CS" --version 2>/dev/null | grep -o "^[0-9.]* [0-9a-f]*" | head -1)"
fi

if [ "$purpose" = workbench ]; then
  exit 0
elif [ -f "$E2E/pw/node_modules/playwright-core/package.json" ]; then
  echo "playwright-core already installed"
else
  npm install --no-save --no-audit --no-fund --prefix "$E2E/pw" playwright-core@1 >"$E2E/pw-install.log" 2>&1 \
    || { tail -20 "$E2E/pw-install.log"; exit 1; }
  echo "installed playwright-core $(node -p "require('$E2E/pw/node_modules/playwright-core/package.json').version")"
fi
