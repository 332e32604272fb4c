// Sums the vitest JSON reports every workspace package writes to .vitest/report.json and
// prints the closing line CI reads. Fails when a package with tests wrote no report.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
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
  }
}
console.log(`${passed} passed, ${failed + missing} failed, ${skipped} skipped`);
process.exit(failed + missing > 0 ? 1 : 0);
