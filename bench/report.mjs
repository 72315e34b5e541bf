// Prints ./dev bench's results (results.jsonl) as one Markdown table of
// absolute figures and ratios, with each target of bench/README.md met or not.
//   node bench/report.mjs build/bench/results.jsonl
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
const results = lines.map((line) => JSON.parse(line));
const run = (label) => results.find((r) => r.label === label && r.qps !== undefined);
const trips = (label) => results.find((r) => r.label === label && r.kind === 'roundtrips');
const memory = (phase) => results.filter((r) => r.kind === 'memory' && r.phase === phase);

const rows = [];
const misses = [];
const fmt = (n, digits = 0) =>
  n === undefined || Number.isNaN(n) ? 'n/a' : Number(n).toFixed(digits);
const ms = (us) => (us === undefined ? 'n/a' : (us / 1000).toFixed(2));
function target(name, ok, text) {
  if (ok === undefined) {
    misses.push(`${name} (not measured)`);
    return `${text} (not measured)`;
  }
  if (!ok) misses.push(name);
  return `${text}: ${ok ? 'met' : '**NOT met**'}`;
}
function load(num, name, r, extra = '', targetText = '') {
  if (!r) {
    rows.push([num, name, 'n/a', 'n/a', 'n/a', 'not measured', targetText]);
    misses.push(name);
    return;
  }
  const failures = r.failed ? ` (${r.failed} failed: ${r.first_failure || 'see logs'})` : '';
  rows.push([num, name, fmt(r.qps), ms(r.p50_us), ms(r.p99_us), extra + failures, targetText]);
}

const floor = run('floor');
const products = run('get_products');
const create = run('create_media_buy');
const twin = run('pgbench_twin');
const mcp = run('mcp_get_products');
const a2a = run('a2a_get_products');
const scaleSmall = run('scale_10');
const scaleLarge = results.find((r) => /^scale_\d+$/.test(r.label) && r.label !== 'scale_10');
const createSmall = run('scale_create_10');
const createLarge = results.find((r) => /^scale_create_\d+$/.test(r.label) && r.label !== 'scale_create_10');

const ratio = (a, b) => (a && b && b.qps ? a.qps / b.qps : undefined);
const r2 = ratio(products, floor);
const r3 = ratio(create, twin);
const r4 = ratio(mcp, products);
const r4b = ratio(a2a, products);
const r5 = scaleSmall && scaleLarge ? scaleLarge.p50_us / scaleSmall.p50_us : undefined;
const r5c = createSmall && createLarge ? createLarge.p50_us / createSmall.p50_us : undefined;

load(1, 'gRPC floor: empty unary call', floor);
load(2, 'GetProducts, one warm tenant (gRPC)', products, `${fmt(r2, 2)} of (1)`,
  target('(2)', r2 === undefined ? undefined : r2 >= 0.5, '>= 0.5 of (1)'));
load(3, 'CreateMediaBuy, mock adapter, 2 packages (gRPC)', create, `${fmt(r3, 2)} of its pgbench twin`,
  target('(3)', r3 === undefined ? undefined : r3 >= 0.5, '>= 0.5 of the twin'));
load('3b', 'pgbench twin: the same INSERT transaction', twin,
  twin ? `latency average ${fmt(twin.latency_avg_ms, 2)} ms` : '');
load(4, 'MCP tools/call get_products via the edge (wrk)', mcp, `${fmt(r4, 2)} of (2)`,
  target('(4)', r4 === undefined ? undefined : r4 >= 0.4, '>= 0.4 of (2)'));
load('4b', 'A2A SendMessage get_products via the edge (wrk)', a2a, `${fmt(r4b, 2)} of (2)`,
  target('(4b)', r4b === undefined ? undefined : r4b >= 0.4, '>= 0.4 of (2)'));
load('5a', 'GetProducts over 10 tenants', scaleSmall);
load('5b', `GetProducts over ${scaleLarge ? scaleLarge.tenants : '?'} tenants (+ media buys)`, scaleLarge,
  `p50 ratio ${fmt(r5, 2)}`, target('(5)', r5 === undefined ? undefined : r5 <= 1.2, 'p50 ratio <= 1.2'));
load('5c', 'CreateMediaBuy over 10 tenants', createSmall);
load('5d', `CreateMediaBuy over ${createLarge ? createLarge.tenants : '?'} tenants (+ media buys)`, createLarge,
  `p50 ratio ${fmt(r5c, 2)} (no target: the database side of the scale)`);

const out = [];
const setup = results.find((r) => r.kind === 'setup') || {};
out.push(`Clients: ${floor ? floor.concurrency : '?'} calls in flight for every load; ` +
  `${floor ? floor.seconds : '?'} s measured per run` +
  (setup.replicas > 1 ? `; ${setup.replicas} replicas of each service (round_robin, haproxy in front of the HTTP ones).` : '.'));
out.push('');
out.push('| # | measurement | QPS | p50 ms | p99 ms | ratio / notes | target |');
out.push('|---|---|---|---|---|---|---|');
for (const row of rows) out.push(`| ${row.join(' | ')} |`);

out.push('');
out.push('Database round trips per request, steady state (pg_stat_statements, statements of the services\' role):');
out.push('');
out.push('| # | request | requests | statements / request | queries / request (no BEGIN/COMMIT/SET) | tenant + token lookups | target |');
out.push('|---|---|---|---|---|---|---|');
for (const [num, label, name, maxQueries] of [
  [6, 'get_products', 'GetProducts (gRPC)', 1],
  [6, 'create_media_buy', 'CreateMediaBuy (gRPC)', undefined],
  [6, 'mcp_get_products', 'MCP get_products', 1],
]) {
  const t = trips(label);
  if (!t || !t.requests) {
    out.push(`| ${num} | ${name} | n/a | n/a | n/a | n/a | not measured |`);
    misses.push(`(6) ${name}`);
    continue;
  }
  const per = (n) => (n / t.requests).toFixed(2);
  const lookupsOk = t.tenant_token_lookups === 0;
  let text = target(`(6) ${name} lookups`, lookupsOk, '0 lookups');
  if (maxQueries !== undefined) {
    text += '; ' + target(`(6) ${name} queries`, t.queries / t.requests <= maxQueries,
      `<= ${maxQueries} query`);
  }
  out.push(`| ${num} | ${name} | ${t.requests} | ${per(t.statements)} | ${per(t.queries)} | ` +
    `${t.tenant_token_lookups} | ${text} |`);
}

out.push('');
out.push('Service CPU time per request during the round-trip runs (user + system, µs; PostgreSQL, wrk and the load generator not included):');
out.push('');
const cpuLabels = ['get_products', 'create_media_buy', 'mcp_get_products'];
const cpuServices = [...new Set(results.filter((r) => r.kind === 'cpu').map((r) => r.service))];
out.push(`| process | ${cpuLabels.join(' | ')} |`);
out.push(`|---|${cpuLabels.map(() => '---').join('|')}|`);
for (const service of cpuServices) {
  const cells = cpuLabels.map((label) => {
    const c = results.find((r) => r.kind === 'cpu' && r.label === label && r.service === service);
    return c ? String(c.us_per_request) : 'n/a';
  });
  out.push(`| ${service} | ${cells.join(' | ')} |`);
}
out.push('');
out.push('Resident memory (VmRSS), MiB:');
out.push('');
const phases = ['idle', 'load', 'scaled'];
const services = [...new Set(results.filter((r) => r.kind === 'memory').map((r) => r.service))];
out.push(`| process | ${phases.join(' | ')} |`);
out.push(`|---|${phases.map(() => '---').join('|')}|`);
const mib = (kib) => (kib / 1024).toFixed(1);
for (const service of services) {
  const cells = phases.map((p) => {
    const m = memory(p).find((r) => r.service === service);
    return m ? mib(m.rss_kib) : 'n/a';
  });
  out.push(`| ${service} | ${cells.join(' | ')} |`);
}
// A process that had died reads 0: not a measurement.
const dead = results.filter((r) => r.kind === 'memory' && !(r.rss_kib > 0));
for (const r of dead) misses.push(`(7) ${r.service} had no resident set (${r.phase}): not running?`);
const sums = Object.fromEntries(
  phases.map((p) => [p, memory(p).reduce((s, r) => s + r.rss_kib, 0) / 1024]));
out.push(`| **sum** | ${phases.map((p) => sums[p].toFixed(1)).join(' | ')} |`);
out.push('');
out.push('Memory targets: ' +
  target('(7) idle', memory('idle').length ? sums.idle < 150 : undefined, 'idle sum < 150 MiB') + '; ' +
  target('(7) load', memory('load').length ? sums.load < 300 : undefined, 'under load (4) < 300 MiB'));
out.push('');
out.push(misses.length ? `Targets not met: ${misses.join(', ')}` : 'All targets met.');
console.log(out.join('\n'));
