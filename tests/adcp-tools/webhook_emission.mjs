// Runs AdCP's universal webhook_emission storyboard against an agent with the
// runner's webhook receiver on 127.0.0.1 and the RFC 9421 webhook verifier
// wired, so that every phase is graded (none skipped):
//
//   node webhook_emission.mjs <agent-url> <token> <brand.json url> [mcp|a2a]
//
// `adcp storyboard run --webhook-receiver` hosts the receiver but gives the
// runner no `webhook_signing`, so its signature phase grades
// not_applicable. Here the verifier's keys come the way a buyer finds them:
// @adcp/sdk's BrandJsonJwksResolver reads the seller's brand.json, picks its
// `sales` agent and fetches that agent's `jwks_uri`. Prints the storyboard
// result as JSON on stdout.
import { runStoryboard } from '@adcp/sdk/testing';
import { BrandJsonJwksResolver } from '@adcp/sdk/signing/server';
import { printResult, scriptArguments, storyboardOrExit } from './storyboard_script.mjs';

const [url, token, brandJsonUrl, protocol = 'mcp'] = scriptArguments(
  3, 'node webhook_emission.mjs <agent-url> <token> <brand.json url> [mcp|a2a]');
const storyboard = storyboardOrExit('webhook_emission');
const result = await runStoryboard(url, storyboard, {
  protocol,
  allow_http: true,
  auth: { type: 'bearer', token },
  webhook_receiver: { mode: 'loopback_mock' },
  contracts: ['webhook_receiver_runner'],
  webhook_signing: {
    // http and 127.0.0.1: the test's edge (dev loops only).
    jwks: new BrandJsonJwksResolver(brandJsonUrl, {
      agentType: 'sales',
      allowPrivateIp: true,
    }),
  },
});
printResult(result);
