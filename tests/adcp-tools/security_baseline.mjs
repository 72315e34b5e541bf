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
import { runStoryboard } from '@adcp/sdk/testing';
import { printResult, scriptArguments, storyboardOrExit } from './storyboard_script.mjs';

const [url, token, protocol = 'mcp'] = scriptArguments(
  2, 'node security_baseline.mjs <agent-url> <token> [mcp|a2a]');
const storyboard = storyboardOrExit('security_baseline');
const result = await runStoryboard(url, storyboard, {
  protocol,
  allow_http: true,
  auth: { type: 'bearer', token },
  test_kit: { auth: { api_key: token, probe_task: 'list_creatives' } },
});
printResult(result);
