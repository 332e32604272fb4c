// Sums the vitest JSON reports every workspace package writes to .vitest/report.json and
// prints the closing line CI reads. Fails when a package with tests wrote no report, when a
// test failed, or when a test file failed without a failing test (it did not load, or a
// beforeAll/afterAll threw: vitest then reports its tests as skipped, not failed).
// Skipped tests are listed by their reason: a skipped describe or test says why in its
// title after " — SKIPPED: " (see vitest.real-data.ts).
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
const failedFiles = [];
/** reason -> { count, where: Set<string> } */
const skipReasons = new Map();

function skipReason(assertion, fileFailed) {
  if (fileFailed) return 'its test file failed to run (listed below)';
  for (const title of [...assertion.ancestorTitles, assertion.title]) {
    const at = title.indexOf(' — SKIPPED: ');
    if (at >= 0) return title.slice(at + ' — SKIPPED: '.length);
  }
  return 'no reason given in the title';
}

for (const group of ['packages', 'apps', 'examples']) {
  for (const name of fs.readdirSync(path.join(root, group))) {
    const dir = path.join(root, group, name);
    if (!fs.existsSync(path.join(dir, 'package.json'))) continue;
    const reportFile = path.join(dir, '.vitest', 'report.json');
    if (!fs.existsSync(reportFile)) {
      console.error(`no test report from ${group}/${name}`);
      missing += 1;
      continue;
    }
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    for (const file of report.testResults) {
      const relative = path.relative(root, file.name);
      const failedTests = file.assertionResults.filter((a) => a.status === 'failed').length;
      const fileFailed = file.status === 'failed' && failedTests === 0;
      if (fileFailed) {
        const why = (file.message || 'no test failed: a beforeAll/afterAll hook threw').split(
          '\n',
        )[0];
        failedFiles.push(`${relative}: ${why}`);
      }
      for (const assertion of file.assertionResults) {
        if (!['skipped', 'pending', 'todo'].includes(assertion.status)) continue;
        const reason = skipReason(assertion, fileFailed);
        const entry = skipReasons.get(reason) ?? { count: 0, where: new Set() };
        entry.count += 1;
        entry.where.add(relative);
        skipReasons.set(reason, entry);
      }
    }
  }
}

if (skipReasons.size > 0) {
  console.log('skipped tests, by reason:');
  for (const [reason, { count, where }] of skipReasons) {
    console.log(`  ${count} skipped: ${reason}`);
    console.log(`    in ${[...where].join(', ')}`);
  }
}
for (const line of failedFiles) console.error(`test file failed: ${line}`);
const failures = failed + failedFiles.length + missing;
console.log(
  `${passed} passed, ${failures} failed, ${skipped} skipped` +
    (failedFiles.length > 0
      ? ` (${failedFiles.length} of the failures: test files that failed to run)`
      : ''),
);
process.exit(failures > 0 ? 1 : 0);
