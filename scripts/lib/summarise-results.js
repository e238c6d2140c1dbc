// Prints the suite's one-line total, "<N> passed, <N> failed", from the Jest
// and Playwright JSON reports in <dir>, plus failed non-test steps (type
// check, lint, ...) counted as failures. Exits 1 when anything failed.
//   node scripts/lib/summarise-results.js <dir> <failed steps>
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function read(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function summarise(dir, failedSteps) {
  let passed = 0;
  let failed = Number(failedSteps) || 0;
  const notes = [];
  const jest = read(path.join(dir, 'jest.json'));
  if (jest) {
    passed += jest.numPassedTests;
    failed += jest.numFailedTests;
    // A suite that fails to run (syntax error, crash) has no failed tests.
    failed += jest.numRuntimeErrorTestSuites || 0;
    notes.push(
      `jest: ${jest.numPassedTests} passed, ${jest.numFailedTests} failed, ${
        jest.numRuntimeErrorTestSuites || 0
      } suites errored`,
    );
  } else {
    failed += 1;
    notes.push('jest: no report (did not run or crashed)');
  }
  const pw = read(path.join(dir, 'playwright.json'));
  if (pw) {
    const s = pw.stats;
    passed += s.expected + s.flaky;
    failed += s.unexpected;
    // Errors outside tests (global setup failing) leave no test results.
    if (pw.errors?.length) failed += pw.errors.length;
    // Tests skipped because a suite they depend on failed count as failed.
    failed += s.skipped;
    notes.push(
      `playwright: ${s.expected} passed, ${s.unexpected} failed, ${
        s.flaky
      } flaky, ${s.skipped} skipped, ${pw.errors?.length ?? 0} errors`,
    );
  } else {
    failed += 1;
    notes.push('playwright: no report (build failed or did not run)');
  }
  if (Number(failedSteps)) notes.push(`failed steps: ${failedSteps}`);
  return { passed, failed, notes };
}

if (require.main === module) {
  const [dir, failedSteps = '0'] = process.argv.slice(2);
  const { passed, failed, notes } = summarise(dir, failedSteps);
  for (const n of notes) console.error(`::: ${n}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

module.exports = { summarise };
