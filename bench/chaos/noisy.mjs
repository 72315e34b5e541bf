// ./dev chaos --noisy (issue 21's noisy neighbours): tenant B's latency
// for get_products and create_media_buy, quiet and while tenant A
//  - has an ad server that hangs, with A's buyer creating buys on it;
//  - floods get_products at ten times its principal's rate limit;
//  - creates buys of 50 packages each, four at a time.
// A and B are tenants of the same adapter (fake Ad Manager over real HTTP),
// so they share its code, its HTTP client and the service's threads. A's
// load runs in its own process (noisy_load.mjs). Target: B's p50 and p99
// within 1.5x of its quiet figures, measured in the same run.
//
// usage: node noisy.mjs EDGE_URL FAKES_URL CREDENTIALS OUT_JSON
//   CREDENTIALS: chaos.sh's lines "tenant token adapter manual account"; A
//   is the first automatic gam tenant, B the second.
// Environment: NOISY_PHASE_S (30), NOISY_B_PRODUCTS_RPS (20),
// NOISY_B_CREATES_RPS (4).
import http from 'node:http';
import { postJson } from './post_json.mjs';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [edge, fakes, credentialsFile, outFile] = process.argv.slice(2);
const phaseS = Number(process.env.NOISY_PHASE_S || 30);
const productsRps = Number(process.env.NOISY_B_PRODUCTS_RPS || 20);
const createsRps = Number(process.env.NOISY_B_CREATES_RPS || 4);
const url = new URL(edge);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const account = { brand: { domain: 'acme.example' }, operator: 'agency.example' };

const lines = readFileSync(credentialsFile, 'utf8').trim().split('\n').map((l) => {
  const [tenant, token, adapter, manual, acct] = l.split(/\s+/);
  return { tenant, token, adapter, manual: manual === '1', account: acct };
});
const gam = lines.filter((l) => l.adapter === 'gam' && !l.manual);
if (gam.length < 2) throw new Error('noisy needs two automatic Ad Manager tenants (CHAOS_TENANTS >= 4)');
const [A, B] = gam;

const agentB = new http.Agent({ keepAlive: true, maxSockets: 4 });
const call = (who, task, request) =>
  postJson(agentB, url, `/tenants/${who.tenant}/v1/${task}`, { 'x-adcp-auth': who.token }, request);

async function fault(account, name) {
  const res = await fetch(`${fakes}/control?account=${encodeURIComponent(account)}&fault=${name}`, { method: 'POST' });
  if (!res.ok) throw new Error(`the fakes refused fault ${name} for ${account}: ${res.status}`);
}

// B's product, for its buys.
const productsRequest = { buying_mode: 'wholesale', brief: 'display advertising' };
const first = await call(B, 'get_products', productsRequest);
const product = first.body?.products?.[0];
if (!product) throw new Error(`B's get_products: ${first.status} ${JSON.stringify(first.body).slice(0, 300)}`);
const option = product.pricing_options?.[0] ?? {};
const bPackage = { product_id: product.product_id, pricing_option_id: option.pricing_option_id, budget: 100 };
if (option.fixed_price == null && option.floor_price != null) bPackage.bid_price = option.floor_price + 1;

// One paced loop of B's calls for `ms`: latencies of successes, outcomes.
async function paced(rps, ms, once) {
  const latencies = [];
  const outcomes = {};
  const start = Date.now();
  let next = start;
  while (Date.now() - start < ms) {
    const r = await once();
    const ok = r.status === 200 && !r.body?.adcp_error && !r.body?.errors?.length;
    const code = r.body?.adcp_error?.code ?? r.body?.errors?.[0]?.code;
    const key = ok ? 'ok' : `${r.status}${code ? ' ' + code : ''}${r.body?.net ? ' ' + r.body.net : ''}`;
    outcomes[key] = (outcomes[key] || 0) + 1;
    if (ok) latencies.push(r.ms);
    next += 1000 / rps;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
  }
  return { latencies, outcomes };
}

const measureB = (ms) => Promise.all([
  paced(productsRps, ms, () => call(B, 'get_products', productsRequest)),
  paced(createsRps, ms, () => {
    const end = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 13) + ':00:00Z';
    return call(B, 'create_media_buy', { idempotency_key: `noisy-b-${randomBytes(8).toString('hex')}`, account,
      brand: account.brand, start_time: 'asap', end_time: end, packages: [bPackage] });
  }),
]).then(([products, creates]) => ({ products, creates }));

// A's load for `ms` in its own process, while B is measured.
async function withA(mode, ms) {
  const child = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'noisy_load.mjs'),
    mode, edge, A.tenant, A.token, String(ms / 1000 + 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.on('data', (d) => { text += d; });
  const exited = new Promise((r) => child.on('exit', r));
  await sleep(1000); // A's load is under way before B is measured
  const b = await measureB(ms);
  const code = await exited;
  if (code !== 0) throw new Error(`noisy_load.mjs ${mode} exited ${code}`);
  return { ...b, a: JSON.parse(text.trim().split('\n').pop()) };
}

const phases = [];
const run = async (name, fn) => {
  console.log(`${new Date().toISOString()} phase ${name}`);
  phases.push({ name, ...(await fn()) });
};
await measureB(3000); // warm-up
await run('quiet', () => measureB(phaseS * 1000));
await fault(A.account, 'hang');
await run('A ad server hangs', () => withA('creates', phaseS * 1000));
await fault(A.account, 'normal');
await sleep(6000); // A's hung calls time out
await run('quiet', () => measureB(phaseS * 1000));
await run('A floods 10x', () => withA('flood', phaseS * 1000));
await run('quiet', () => measureB(phaseS * 1000));
await run('A 50-package buys', () => withA('big-buys', phaseS * 1000));
await run('quiet', () => measureB(phaseS * 1000));
agentB.destroy();

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const quiet = phases.filter((p) => p.name === 'quiet');
const quietOf = (op) => quiet.flatMap((p) => p[op].latencies);
const base = { products: { p50: pct(quietOf('products'), 0.5), p99: pct(quietOf('products'), 0.99) },
  creates: { p50: pct(quietOf('creates'), 0.5), p99: pct(quietOf('creates'), 0.99) } };
const rows = phases.filter((p) => p.name !== 'quiet').map((p) => {
  const row = { phase: p.name, a: p.a };
  for (const op of ['products', 'creates']) {
    const l = p[op].latencies;
    row[op] = { n: l.length, p50: pct(l, 0.5), p99: pct(l, 0.99), outcomes: p[op].outcomes,
      p50_ratio: pct(l, 0.5) / base[op].p50, p99_ratio: pct(l, 0.99) / base[op].p99 };
  }
  return row;
});
writeFileSync(outFile, JSON.stringify({ A: A.tenant, B: B.tenant, phase_s: phaseS, base, quiet: quiet.map((p) => ({
  products: p.products.outcomes, creates: p.creates.outcomes })), rows }, null, 1));
const f = (x) => x.toFixed(1);
console.log(`\nB = ${B.tenant} (get_products ${productsRps}/s, create_media_buy ${createsRps}/s), A = ${A.tenant}; both on the fake Ad Manager; ${phaseS} s a phase`);
console.log(`B quiet (${quiet.length} phases pooled): get_products p50 ${f(base.products.p50)} / p99 ${f(base.products.p99)} ms; create_media_buy p50 ${f(base.creates.p50)} / p99 ${f(base.creates.p99)} ms\n`);
console.log('| A does | B get_products p50 / p99 ms | ratio | B create_media_buy p50 / p99 ms | ratio | B not served | A\'s calls (outcomes) |');
console.log('|---|---|---|---|---|---|---|');
let met = true;
for (const r of rows) {
  const refused = ['products', 'creates'].reduce((n, op) => n + Object.entries(r[op].outcomes).filter(([k]) => k !== 'ok').reduce((a, [, v]) => a + v, 0), 0);
  const ratios = [r.products.p50_ratio, r.products.p99_ratio, r.creates.p50_ratio, r.creates.p99_ratio];
  if (refused || ratios.some((x) => !(x <= 1.5))) met = false;
  console.log(`| ${r.phase} | ${f(r.products.p50)} / ${f(r.products.p99)} | ${r.products.p50_ratio.toFixed(2)} / ${r.products.p99_ratio.toFixed(2)} | ${f(r.creates.p50)} / ${f(r.creates.p99)} | ${r.creates.p50_ratio.toFixed(2)} / ${r.creates.p99_ratio.toFixed(2)} | ${refused} | ${r.a.sent} (${Object.entries(r.a.outcomes).map(([k, v]) => `${k}: ${v}`).join('; ')}) |`);
}
console.log(`\ntarget (B within 1.5x of quiet at p50 and p99, every call served): ${met ? 'met' : 'NOT met'}`);
