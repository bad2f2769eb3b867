#!/usr/bin/env bash
# End-to-end tests of the extension in a real VS Code workbench: code-server 4.100.3 in Debian's
# chromium, driven by playwright-core (test/e2e/driver.cjs). Two workbenches:
#   development  the extension copied from the working tree (its node_modules linked), beside the test harness
#                extension (test/e2e/harness) that runs the integration suite inside the extension host
#                (test/integration/extension/suite.ts) from the palette;
#   installed    the linux-x64 package built by `npm run package`, its contents and size checked, installed with
#                `code-server --install-extension` into a clean profile with workspace trust on, as a person installs it.
# Prints a final line "N passed, N failed" and exits non-zero on any failure.
# Environment: E2E_POOL_SIZE (reviews in the speed pool, default 1000000),
# E2E_ONLY=main,integration,hostile,dashboard,navigate,team,speed,installed,restricted (scenarios to run, the last two in the
# installed workbench; only their screenshots in test/e2e/artifacts are replaced, see artifacts.cjs),
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
ONLY=${E2E_ONLY:-main,integration,hostile,dashboard,navigate,team,speed,installed,restricted}
DEV_ONLY=$(node -p "process.argv[1].split(',').filter((s) => s && !['installed', 'restricted'].includes(s)).join(',')" "$ONLY")
INSTALLED_ONLY=$(node -p "process.argv[1].split(',').filter((s) => ['installed', 'restricted'].includes(s)).join(',')" "$ONLY")

rm -rf "$RUN"
mkdir -p "$RUN"/{tmp,xdg,workspaces} "$ROOT/test/e2e/artifacts"
export TMPDIR=$RUN/tmp XDG_CONFIG_HOME=$RUN/xdg/config XDG_DATA_HOME=$RUN/xdg/data XDG_CACHE_HOME=$RUN/xdg/cache

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
# Quiet user settings: nothing may steal focus from the palette or reach the network. $1: the profile's
# settings.json; $2: extra settings (JSON members).
quiet_settings() {
  mkdir -p "$(dirname "$1")"
  cat > "$1" <<JSON
{ "workbench.startupEditor": "none", "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.tips.enabled": false, "telemetry.telemetryLevel": "off", "update.mode": "none",
  "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false, "extensions.ignoreRecommendations": true,
  "git.enabled": false, "workbench.colorTheme": "Default Dark Modern",
  "secreview.annotator": "e2e-annotator", "window.confirmBeforeClose": "never", "chat.commandCenter.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden"$2 }
JSON
}
CSPID=
stop() { [ -n "$CSPID" ] && { kill -- -"$CSPID" 2>/dev/null; wait "$CSPID" 2>/dev/null; }; CSPID=; }
trap stop EXIT
# Starts code-server on a free port in its own process group; sets PORT and CSPID. Arguments go to code-server.
start_cs() {
  PORT=$(free_port)
  setsid "$CS" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
    --disable-getting-started-override "$@" &
  CSPID=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.25; done
}
STATUS=0

if [ -n "$DEV_ONLY" ]; then
  node scripts/build.mjs || { echo "0 passed, 1 failed"; exit 1; }
  mkdir -p "$RUN"/dev/{exts,ud/User}
  # The test harness extension (test/e2e/harness): the integration suite that runs inside the
  # extension host, bundled like the extension, installed beside it.
  HARNESS=$RUN/dev/exts/secreview.e2e-harness-0.0.1
  mkdir -p "$HARNESS"
  cp test/e2e/harness/package.json "$HARNESS/"
  node -e "
  require('esbuild').buildSync({ entryPoints: ['test/e2e/harness/extension.ts'], outfile: '$HARNESS/extension.js', bundle: true,
    platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'onnxruntime-node'], logLevel: 'warning',
    define: { 'import.meta.url': 'importMetaUrl' }, inject: ['scripts/import-meta-url.js'] });
  " || { echo "0 passed, 1 failed"; exit 1; }

  # The extension as an unpacked folder from the working tree, node_modules linked for the trainer.
  ID=$(node -p "const p=require('./package.json'); p.publisher+'.'+p.name+'-'+p.version")
  EXT=$RUN/dev/exts/$ID
  mkdir -p "$EXT"
  cp -r package.json package.nls.json dist media demo "$EXT/"
  [ -f README.md ] && cp README.md "$EXT/"
  ln -s "$ROOT/node_modules" "$EXT/node_modules"
  quiet_settings "$RUN/dev/ud/User/settings.json" ', "security.workspace.trust.enabled": false'

  SECREVIEW_EXTENSION_TEST_RESULTS=$RUN/extension-test-results.json \
    start_cs --disable-workspace-trust --extensions-dir "$RUN/dev/exts" --user-data-dir "$RUN/dev/ud" >"$RUN/code-server.log" 2>&1
  NODE_PATH=$E2E/pw/node_modules CS_URL=http://127.0.0.1:$PORT RUN_DIR=$RUN REPO=$ROOT E2E_ONLY=$DEV_ONLY \
    SUMMARY_FILE=$RUN/summary-dev.json ARTIFACTS=$ROOT/test/e2e/artifacts node test/e2e/driver.cjs || STATUS=1
  stop
  [ "$STATUS" -ne 0 ] && tail -30 "$RUN/code-server.log" | grep -i -E "error|secreview" | tail -10
fi

if [ -n "$INSTALLED_ONLY" ]; then
  # The package a person downloads: built, checked (file list, size) and installed like theirs.
  mkdir -p "$RUN"/installed/{exts,ud/User}
  node --import tsx scripts/package.ts --target linux-x64 --out "$RUN/vsix" >"$RUN/package.log" 2>&1 \
    || { tail -15 "$RUN/package.log"; echo "package: building the linux-x64 package failed" >&2; }
  VSIX=$(ls "$RUN"/vsix/*-linux-x64-*.vsix 2>/dev/null | head -1)
  if [ -n "$VSIX" ]; then
    "$CS" --install-extension "$VSIX" --extensions-dir "$RUN/installed/exts" --user-data-dir "$RUN/installed/ud" >"$RUN/install.log" 2>&1
  fi
  quiet_settings "$RUN/installed/ud/User/settings.json" ''
  start_cs --extensions-dir "$RUN/installed/exts" --user-data-dir "$RUN/installed/ud" >"$RUN/code-server-installed.log" 2>&1
  NODE_PATH=$E2E/pw/node_modules CS_URL=http://127.0.0.1:$PORT RUN_DIR=$RUN REPO=$ROOT E2E_ONLY=$INSTALLED_ONLY \
    VSIX_DIR=$RUN/vsix INSTALLED_EXTENSIONS=$RUN/installed/exts SUMMARY_FILE=$RUN/summary-installed.json \
    E2E_KEEP_FAILURE_SHOTS=$([ -n "$DEV_ONLY" ] && echo 1 || echo 0) \
    ARTIFACTS=$ROOT/test/e2e/artifacts node test/e2e/driver.cjs || STATUS=1
  stop
  [ "$STATUS" -ne 0 ] && tail -30 "$RUN/code-server-installed.log" | grep -i -E "error|secreview" | tail -10
fi
trap - EXIT

# The speed pool is large (about 1 GB for a million reviews with its copy in the workspace).
[ "${E2E_KEEP:-}" = 1 ] || rm -rf "$RUN/workspaces/speed"
SUMMARY=$(node -e "
const fs = require('fs');
const parts = ['$RUN/summary-dev.json', '$RUN/summary-installed.json'].filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const want = $(( ${#DEV_ONLY} > 0 )) + $(( ${#INSTALLED_ONLY} > 0 ));
// A workbench whose driver wrote no summary (it crashed, or code-server did not start) counts as a failure.
const s = { passed: 0, failed: parts.length < want ? 1 : 0, results: [] };
for (const p of parts) { s.passed += p.passed; s.failed += p.failed; s.results.push(...p.results); }
fs.writeFileSync('$RUN/summary.json', JSON.stringify(s, null, 2));
console.log(s.passed + ' passed, ' + s.failed + ' failed');
process.exitCode = s.failed ? 1 : 0;
") || STATUS=1
echo "$SUMMARY"
exit "$STATUS"
