#!/usr/bin/env bash
# End-to-end tests of the extension in a real VS Code workbench: code-server 4.100.3 in Debian's
# chromium, driven by playwright-core (test/e2e/driver.cjs). Also runs the integration suite inside
# the extension host (test/integration/extension/suite.ts) from the palette.
# Prints a final line "N passed, N failed" and exits non-zero on any failure.
# Environment: E2E_POOL_SIZE (reviews in the speed pool, default 1000000), E2E_ONLY=main,integration,hostile,dashboard,speed
# (scenarios to run; only their screenshots in test/e2e/artifacts are replaced, see artifacts.cjs),
# E2E_KEEP=1 keeps the speed workspace in .e2e/run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E=${E2E_DIR:-$ROOT/.e2e}
RUN=$E2E/run
CS=$E2E/cs/node_modules/.bin/code-server
cd "$ROOT"

if [ ! -x "$CS" ] || [ ! -f "$E2E/pw/node_modules/playwright-core/package.json" ]; then
  bash "$ROOT/test/e2e/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }
fi
node scripts/build.mjs || { echo "0 passed, 1 failed"; exit 1; }

rm -rf "$RUN"
mkdir -p "$RUN"/{tmp,xdg,exts,ud/User,workspaces} "$ROOT/test/e2e/artifacts"
export TMPDIR=$RUN/tmp XDG_CONFIG_HOME=$RUN/xdg/config XDG_DATA_HOME=$RUN/xdg/data XDG_CACHE_HOME=$RUN/xdg/cache

# The test harness extension (test/e2e/harness): the integration suite that runs inside the
# extension host, bundled like the extension, installed beside it.
HARNESS=$RUN/exts/secreview.e2e-harness-0.0.1
mkdir -p "$HARNESS"
cp test/e2e/harness/package.json "$HARNESS/"
node -e "
require('esbuild').buildSync({ entryPoints: ['test/e2e/harness/extension.ts'], outfile: '$HARNESS/extension.js', bundle: true,
  platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'onnxruntime-node'], logLevel: 'warning',
  define: { 'import.meta.url': 'importMetaUrl' }, inject: ['scripts/import-meta-url.js'] });
" || { echo "0 passed, 1 failed"; exit 1; }

# The extension as an unpacked folder (what a .vsix would hold), node_modules linked for the trainer.
ID=$(node -p "const p=require('./package.json'); p.publisher+'.'+p.name+'-'+p.version")
EXT=$RUN/exts/$ID
mkdir -p "$EXT"
cp -r package.json dist media demo "$EXT/"
[ -f README.md ] && cp README.md "$EXT/"
ln -s "$ROOT/node_modules" "$EXT/node_modules"

# Quiet user settings: nothing may steal focus from the palette or reach the network.
cat > "$RUN/ud/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.tips.enabled": false, "telemetry.telemetryLevel": "off", "update.mode": "none",
  "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false, "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false, "git.enabled": false, "workbench.colorTheme": "Default Dark Modern",
  "secreview.annotator": "e2e-annotator", "window.confirmBeforeClose": "never", "chat.commandCenter.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden" }
JSON

PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
SECREVIEW_EXTENSION_TEST_RESULTS=$RUN/extension-test-results.json \
  setsid "$CS" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override --extensions-dir "$RUN/exts" --user-data-dir "$RUN/ud" >"$RUN/code-server.log" 2>&1 &
CSPID=$!
stop() { kill -- -"$CSPID" 2>/dev/null; wait "$CSPID" 2>/dev/null; }
trap stop EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.25; done

NODE_PATH=$E2E/pw/node_modules CS_URL=http://127.0.0.1:$PORT RUN_DIR=$RUN REPO=$ROOT \
  ARTIFACTS=$ROOT/test/e2e/artifacts node test/e2e/driver.cjs
STATUS=$?
stop
trap - EXIT
# The speed pool is large (about 1 GB for a million reviews with its copy in the workspace).
[ "${E2E_KEEP:-}" = 1 ] || rm -rf "$RUN/workspaces/speed"
if [ -f "$RUN/summary.json" ]; then
  SUMMARY=$(node -p "const s=require('$RUN/summary.json'); s.passed+' passed, '+s.failed+' failed'")
else
  SUMMARY="0 passed, 1 failed"; STATUS=1
fi
[ "$STATUS" -ne 0 ] && tail -30 "$RUN/code-server.log" | grep -i -E "error|secreview" | tail -10
echo "$SUMMARY"
exit "$STATUS"
