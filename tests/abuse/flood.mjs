// A measurement, not a test (issue 19): tenant B's buyer's get_products
// latency over MCP, quiet and while tenant A is flooded anonymously with
// tools/call get_adcp_capabilities (as fast as FLOOD_CONNECTIONS keep-alive
// connections go). Target: B's flooded p99 at most 1.5x its quiet p99.
//
// Two ways to run it:
//  - on its own services and database (what the numbers in docs come from):
//      ADCP_ABUSE_FLOOD=1 BUILD_DIR=build ./dev test -R abuse.AbuseTest.FloodMeasurement -V
//    (abuse_test.cc makes a database and runs this script with its URLs
//    and the binaries; tenants A and B get the deployment's default rate
//    limits, B's buyer is paced at FLOOD_B_RATE calls/s, under its own limit);
//  - against a running deployment (e.g. ./dev up):
//      EDGE_URL=http://127.0.0.1:8080 FLOOD_TENANT_A=nytimes \
//      FLOOD_TENANT_B=localnews FLOOD_TOKEN_B=<B buyer token> node tests/abuse/flood.mjs
//
// FLOOD_SECONDS (20): length of each phase: quiet, flooded, quiet, flooded.
// FLOOD_CONNECTIONS (8): the flood's connections; FLOOD_SOURCES (8): from
// how many client addresses (127.0.0.3 and up). FLOOD_WRK=1: wrk makes the
// flood (flood.lua), from one address. FLOOD_B_RATE (40): B's calls per
// second (the default principal limit is 50/s).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Services, admin, databaseUrlsFromEnv, mcp, setUpTenants, sleep, startFakeKevel } from './lib/suite.mjs';

const seconds = Number(process.env.FLOOD_SECONDS || 20);
const connections = Number(process.env.FLOOD_CONNECTIONS || 8);
const bRate = Number(process.env.FLOOD_B_RATE || 40);
// The flood's connections come from FLOOD_SOURCES client addresses
// (127.0.0.3 and up; 0: the default address), B's buyer from 127.0.0.1.
const sources = Number(process.env.FLOOD_SOURCES ?? 8);
let edgeHost = '127.0.0.1';
// FLOOD_WRK=1: wrk (tests/abuse/flood.lua, 2 threads) makes the flood
// instead of node (more calls per CPU second; one client address).
const useWrk = process.env.FLOOD_WRK === '1';

// CPU seconds used so far by a process (utime + stime), or NaN.
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function post(agent, port, path, token, body, localAddress) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    if (token) headers['x-adcp-auth'] = token;
    const req = http.request({ host: edgeHost, port, path, method: 'POST', agent, headers, ...(localAddress ? { localAddress } : {}) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, error: e.code || e.message, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    req.end(body);
  });
}

const rpc = (name, args) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });

async function main() {
  let services;
  let kevel;
  let port;
  let tenantA;
  let tenantB;
  let tokenB;
  if (process.env.EDGE_URL) {
    port = Number(new URL(process.env.EDGE_URL).port);
    edgeHost = new URL(process.env.EDGE_URL).hostname;
    tenantA = process.env.FLOOD_TENANT_A;
    tenantB = process.env.FLOOD_TENANT_B;
    tokenB = process.env.FLOOD_TOKEN_B;
    if (!tenantA || !tenantB || !tokenB) throw new Error('set FLOOD_TENANT_A, FLOOD_TENANT_B and FLOOD_TOKEN_B');
  } else {
    kevel = await startFakeKevel();
    services = new Services({ databaseUrls: databaseUrlsFromEnv(), kevelBaseUrl: kevel.baseUrl, log: console.log });
    process.on('SIGTERM', () => { services.killAllNow(); process.exit(2); });
    await services.start();
    const tenants = await setUpTenants(services);
    // A back on the deployment's default limits (setUpTenants gives it
    // generous ones for the abuse suite).
    const reset = await admin(services, 'PUT', `/system/tenants/${tenants.a.id}/config`, { rate_limits: null });
    if (reset.status !== 200) throw new Error(`resetting A's limits: ${reset.status} ${reset.text}`);
    await sleep(500);
    port = services.edgePort;
    tenantA = tenants.a.id;
    tenantB = tenants.b.id;
    tokenB = tenants.b.token;
  }
  const bAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const floodPids = new Set();
  process.on('exit', () => { for (const pid of floodPids) try { process.kill(pid, 'SIGKILL'); } catch {} });
  const bPath = `/tenants/${tenantB}/mcp`;
  const bBody = rpc('get_products', { buying_mode: 'wholesale' });

  // B's buyer at a fixed pace; latencies of the calls answered with products.
  async function measureB(ms) {
    const latencies = [];
    const outcomes = {};
    const interval = 1000 / bRate;
    const start = Date.now();
    let next = start;
    while (Date.now() - start < ms) {
      const r = await post(bAgent, port, bPath, tokenB, bBody);
      const sc = (() => { try { return JSON.parse(r.body).result?.structuredContent; } catch { return undefined; } })();
      const key = r.status === 200 && sc && Array.isArray(sc.products) ? 'ok' : `${r.status}${sc?.adcp_error ? ' ' + sc.adcp_error.code : ''}`;
      outcomes[key] = (outcomes[key] || 0) + 1;
      if (key === 'ok') latencies.push(r.ms);
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
    }
    return { latencies, outcomes };
  }

  async function floodedByWrk(ms) {
    const lua = path.join(path.dirname(fileURLToPath(import.meta.url)), 'flood.lua');
    const wrk = spawn('wrk', ['-t2', `-c${connections}`, `-d${Math.ceil(ms / 1000) + 1}s`, '-s', lua, `http://${edgeHost}:${port}/tenants/${tenantA}/mcp`]);
    let text = '';
    wrk.stdout.on('data', (d) => { text += d; });
    wrk.stderr.on('data', (d) => { text += d; });
    const exited = new Promise((r) => wrk.on('exit', r));
    await sleep(300);
    const b = await measureB(ms);
    await exited;
    const m = /wrk-result requests=(\d+) seconds=([\d.]+) non2xx=(\d+)/.exec(text);
    if (!m) throw new Error(`wrk: ${text}`);
    return { ...b, flood: { sent: +m[1], rate: +m[1] / +m[2], counts: { non2xx: +m[3] } } };
  }

  // The flood runs in its own node process (flood_child.mjs): in this one,
  // its sockets would share the event loop with B's calls and delay them.
  async function flooded(ms) {
    if (useWrk) return floodedByWrk(ms);
    const child = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'flood_child.mjs')], {
      env: { ...process.env, FLOOD_URL: `http://${edgeHost}:${port}`, FLOOD_PATH: `/tenants/${tenantA}/mcp`, FLOOD_CONNECTIONS: String(connections), FLOOD_SOURCES: String(sources), FLOOD_MS: String(ms + 300) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    floodPids.add(child.pid);
    let text = '';
    child.stdout.on('data', (d) => { text += d; });
    const exited = new Promise((r) => child.on('exit', r));
    await sleep(300); // the flood is at full speed before B is measured
    const b = await measureB(ms);
    const code = await exited;
    floodPids.delete(child.pid);
    if (code !== 0) throw new Error(`flood_child.mjs exited ${code}: ${text}`);
    const f = JSON.parse(text.trim().split('\n').pop());
    return { ...b, flood: { sent: f.sent, rate: f.sent / f.seconds, counts: f.counts, cpuSeconds: f.cpuSeconds } };
  }

  // CPU seconds per phase of the services we started and of this script
  // (the load generator shares the machine).
  const pids = services ? Object.fromEntries(Object.entries(services.procs).map(([n, p]) => [n, p.child.pid])) : {};
  pids.node = process.pid;
  const cpuNow = () => Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid)]));
  const phase = async (name, fn) => {
    const before = cpuNow();
    const t0 = Date.now();
    const result = await fn();
    const after = cpuNow();
    const wall = (Date.now() - t0) / 1000;
    const cpu = Object.fromEntries(Object.keys(pids).map((n) => [n, (after[n] - before[n]) / wall]));
    if (result.flood?.cpuSeconds !== undefined) cpu.flood = result.flood.cpuSeconds / wall;
    return { name, ...result, cpu };
  };
  // Warm-up.
  await measureB(2000);
  const phases = [];
  phases.push(await phase('quiet 1', () => measureB(seconds * 1000)));
  phases.push(await phase('flooded 1', () => flooded(seconds * 1000)));
  await sleep(1000);
  phases.push(await phase('quiet 2', () => measureB(seconds * 1000)));
  phases.push(await phase('flooded 2', () => flooded(seconds * 1000)));

  const stats = (lat) => {
    const s = [...lat].sort((x, y) => x - y);
    return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] };
  };
  console.log(`\n== flood: tenant B's get_products over MCP while tenant A is flooded anonymously ==`);
  console.log(`edge :${port}, A=${tenantA}, B=${tenantB}; B paced at ${bRate}/s; flood: ${useWrk ? `wrk, ${connections} connections` : `${connections} keep-alive connections from ${sources || 1} client address(es)`} of tools/call get_adcp_capabilities; ${seconds} s per phase`);
  for (const p of phases) {
    const s = stats(p.latencies);
    const flood = p.flood ? `  flood ${p.flood.sent} calls (${Math.round(p.flood.rate)}/s): ${JSON.stringify(p.flood.counts)}` : '';
    console.log(`${p.name.padEnd(10)} B n=${s.n} p50 ${s.p50.toFixed(2)} ms p99 ${s.p99.toFixed(2)} ms max ${s.max.toFixed(2)} ms outcomes ${JSON.stringify(p.outcomes)}${flood}`);
    console.log(`${''.padEnd(10)} CPU (cores): ${Object.entries(p.cpu).filter(([, v]) => !Number.isNaN(v)).map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')}`);
  }
  const quiet = stats(phases.filter((p) => p.name.startsWith('quiet')).flatMap((p) => p.latencies));
  const flood = stats(phases.filter((p) => p.name.startsWith('flooded')).flatMap((p) => p.latencies));
  const ratio = flood.p99 / quiet.p99;
  const bRefused = phases.filter((p) => p.name.startsWith('flooded')).reduce((n, p) => n + Object.entries(p.outcomes).filter(([k]) => k !== 'ok').reduce((a, [, v]) => a + v, 0), 0);
  console.log(`\nquiet   p50 ${quiet.p50.toFixed(2)} ms  p99 ${quiet.p99.toFixed(2)} ms  (n=${quiet.n})`);
  console.log(`flooded p50 ${flood.p50.toFixed(2)} ms  p99 ${flood.p99.toFixed(2)} ms  (n=${flood.n}; B calls not served during the flood: ${bRefused})`);
  console.log(`p50 ratio ${(flood.p50 / quiet.p50).toFixed(2)}, p99 ratio ${ratio.toFixed(2)} (target <= 1.5): ${ratio <= 1.5 && bRefused === 0 ? 'met' : 'NOT met'}`);

  bAgent.destroy();
  if (services) await services.stop();
  if (kevel) await kevel.close();
}

main().catch((e) => {
  console.log(`flood: error: ${e.stack || e}`);
  process.exit(1);
});
