// Runs AdCP's universal security_baseline storyboard against an agent with a
// test kit whose auth.api_key is our principal's token.
//
//   node security_baseline.mjs <agent-url> <token> [mcp|a2a]
//
// `npx adcp storyboard run` has no option for a test kit, and without one the
// storyboard's api_key phase is skipped, leaving OAuth discovery as the only
// way to prove an authentication mechanism. This script makes the same
// runStoryboard call the CLI makes, plus the kit, and prints the result as
// the CLI's --json does.
import {
  getComplianceStoryboardById,
  runStoryboard,
} from '@adcp/sdk/testing';

const [url, token, protocol = 'mcp'] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node security_baseline.mjs <agent-url> <token> [mcp|a2a]');
  process.exit(2);
}

const storyboard = getComplianceStoryboardById('security_baseline');
if (!storyboard) {
  console.error('security_baseline is not in this @adcp/sdk');
  process.exit(2);
}
// Runner logs go to stderr: stdout carries only the JSON result.
console.log = (...args) => console.error(...args);
console.info = console.log;
const result = await runStoryboard(url, storyboard, {
  protocol,
  allow_http: true,
  auth: { type: 'bearer', token },
  test_kit: { auth: { api_key: token, probe_task: 'list_creatives' } },
});
process.stdout.write(JSON.stringify(result) + '\n');
