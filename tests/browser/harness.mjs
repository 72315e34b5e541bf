// What every admin UI browser script shares: numbered steps that report
// "ok -" / "not ok -" and stop at the first failure, Debian's Chromium
// through playwright-core, and the closing "N passed, M failed" line.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

export const base = process.env.ADMIN_URL;
export const shots = process.env.SCREENSHOT_DIR;
mkdirSync(shots, { recursive: true });

let passed = 0;
let failed = 0;

// Runs one step; a failure is reported and rethrown, ending the script's try.
export async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(error.stack || error).replace(/\n/g, '\n  ')}`);
    throw error;
  }
}

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Prints the summary and exits 0 only when all `expected` steps passed.
export function finish(expected) {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed === expected ? 0 : 1);
}
