// The files each end-to-end scenario writes into test/e2e/artifacts/. A run deletes only the files of
// the scenarios it runs (E2E_ONLY), so the screenshots of the others stay, and the failure
// screenshots, which describe the previous run, go.
'use strict';
const fs = require('fs');
const path = require('path');

const SCENARIOS = ['main', 'integration', 'hostile', 'dashboard', 'navigate', 'team', 'speed', 'installed', 'restricted'];

const ARTIFACTS_OF = {
  main: ['labeling-panel-dark.png', 'labeling-panel-light.png', 'labeling-panel-high-contrast.png', 'diff-view.png'],
  integration: ['labeling-panel-adjudication.png'],
  hostile: ['hostile-body.png'],
  dashboard: ['dashboard-dark.png', 'dashboard-light.png', 'dashboard-beside-panel.png'],
  navigate: ['near-duplicates-offer.png', 'near-duplicates-applied.png', 'search-results.png', 'search-mode.png', 'go-to-review.png', 'dashboard-time.png'],
  team: ['team-double-coding.png', 'team-cwe-pick.png', 'team-agreement-dashboard.png', 'team-adjudication.png'],
  speed: ['speed.json'],
  // The installed package (run.sh's second workbench).
  installed: ['installed-walkthrough.png', 'installed-diff-view.png', 'installed-dashboard.png'],
  restricted: ['installed-explorer-import.png', 'installed-restricted-retrain.png'],
};
/** Written when a step fails; stale after any later run. */
const FAILURE_ARTIFACTS = ['failure.png', 'theme-picker.fail.png', 'trust.fail.png'];
/** The screenshot of each failed step, named after the step. */
const FAILED_STEP = /^failed-[a-z0-9-]+\.png$/;

/** The scenarios of an E2E_ONLY value (all of them when it is empty); an unknown name is an error. */
function scenariosOf(only) {
  const names = (only || SCENARIOS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !SCENARIOS.includes(n));
  if (unknown.length) throw new Error(`E2E_ONLY: unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.join(', ')}`);
  return names;
}

/**
 * Deletes the artifacts the given scenarios will write again, and (unless `failures` is false, for
 * a second workbench of the same run) earlier failure screenshots; returns the names deleted.
 */
function cleanArtifacts(dir, scenarios, failures = true) {
  const deleted = [];
  const stale = failures ? [...FAILURE_ARTIFACTS, ...(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => FAILED_STEP.test(f)) : [])] : [];
  for (const name of [...scenarios.flatMap((s) => ARTIFACTS_OF[s]), ...stale]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) { fs.rmSync(file); deleted.push(name); }
  }
  return deleted;
}

module.exports = { SCENARIOS, ARTIFACTS_OF, FAILURE_ARTIFACTS, FAILED_STEP, scenariosOf, cleanArtifacts };
