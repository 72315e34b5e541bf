// ./dev chaos's buyers: a steady mixed load over the agent edge's REST
// routes, one worker per tenant (CHAOS_WORKERS_PER_TENANT), as AdCP buyers
// behave: a transient error or a lost connection is retried with the same
// idempotency_key, with exponential backoff. Manual-approval buys are
// approved by the operator (adcpctl approve-human-task).
//
// usage: node buyer.mjs EDGE_URL CREDENTIALS LOG
//   CREDENTIALS: lines "tenant token adapter manual(0|1)"
//   LOG: JSON lines, one per attempt ({kind:"attempt"}) and per finished
//   operation ({kind:"final"}), and "violation" lines for wrong data.
// Environment: ADCPCTL (and its settings), CHAOS_THINK_MS (150),
// CHAOS_WORKERS_PER_TENANT (1), CHAOS_GIVE_UP_S (120). SIGTERM: no new
// operations; those under way finish (or give up), then it exits.
import { appendFileSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const [edge, credentialsFile, logFile] = process.argv.slice(2);
const think = Number(process.env.CHAOS_THINK_MS ?? 150);
const perTenant = Number(process.env.CHAOS_WORKERS_PER_TENANT ?? 1);
const giveUpMs = Number(process.env.CHAOS_GIVE_UP_S ?? 120) * 1000;
const account = { brand: { domain: 'acme.example' }, operator: 'agency.example' };
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });

const log = (entry) => appendFileSync(logFile, JSON.stringify(entry) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const key = (prefix) => `${prefix}-${randomBytes(8).toString('hex')}`;
// Every buy a buyer was told it has, across tenants: media_buy_id -> tenant.
const ownerOf = new Map();

// One task call: {http, body, error, ms}; http 0 when the connection failed.
async function call(tenant, token, task, request) {
  const started = Date.now();
  try {
    const res = await fetch(`${edge}/tenants/${tenant}/v1/${task}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-adcp-auth': token },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(30000),
    });
    const text = await res.text();
    let body = null;
    try { body = JSON.parse(text); } catch { body = { raw: text.slice(0, 200) }; }
    return { http: res.status, body, ms: Date.now() - started };
  } catch (e) {
    return { http: 0, body: { net: String(e.cause?.code ?? e.name) }, ms: Date.now() - started };
  }
}

function classify(answer) {
  const err = answer.body?.adcp_error ?? answer.body?.error;
  if (answer.http === 200 && !err) return { ok: true };
  const recovery = typeof err === 'object' ? err?.recovery : undefined;
  const code = typeof err === 'object' ? err?.code : String(err ?? answer.body?.net ?? '');
  const transient = answer.http === 0 || answer.http === 429 || answer.http >= 502 ||
    recovery === 'transient';
  return { ok: false, transient, code, recovery, message: typeof err === 'object' ? err?.message : err };
}

// Runs one operation to its end: retried with backoff while transient.
async function operation(buyer, op, request) {
  const started = Date.now();
  let backoff = 250;
  for (let attempt = 1; ; attempt++) {
    const answer = await call(buyer.tenant, buyer.token, op, request);
    const verdict = classify(answer);
    log({ kind: 'attempt', t: Date.now(), op, tenant: buyer.tenant, http: answer.http,
      ms: answer.ms, ok: verdict.ok, transient: verdict.transient ?? false,
      code: verdict.code ?? '', key: request.idempotency_key ?? '' });
    const done = verdict.ok || !verdict.transient || Date.now() - started > giveUpMs;
    if (done) {
      log({ kind: 'final', t: Date.now(), start: started, op, tenant: buyer.tenant,
        ok: verdict.ok, http: answer.http, code: verdict.code ?? '', attempts: attempt,
        ms: Date.now() - started, key: request.idempotency_key ?? '',
        media_buy_id: answer.body?.media_buy_id ?? '', task_id: answer.body?.task_id ?? '',
        message: verdict.ok ? '' : String(verdict.message ?? '').slice(0, 300) });
      return verdict.ok ? answer.body : null;
    }
    await sleep(backoff + Math.random() * backoff);
    backoff = Math.min(backoff * 2, 5000);
  }
}

function violation(buyer, what, detail) {
  log({ kind: 'violation', t: Date.now(), tenant: buyer.tenant, what, detail });
}

async function getProducts(buyer) {
  const body = await operation(buyer, 'get_products',
    { buying_mode: 'wholesale', brief: 'display advertising' });
  const products = body?.products ?? [];
  const display = products.filter((p) => (p.format_ids ?? []).some((f) => f.id === 'display_300x250'));
  if (products.length) buyer.product = (display[0] ?? products[0]);
}

async function createBuy(buyer) {
  if (!buyer.product) return getProducts(buyer);
  const option = buyer.product.pricing_options?.[0] ?? {};
  const pkg = { product_id: buyer.product.product_id, pricing_option_id: option.pricing_option_id,
    budget: 1000 };
  if (option.fixed_price == null && option.floor_price != null) pkg.bid_price = option.floor_price + 1;
  const stop = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 13) + ':00:00Z';
  const request = { idempotency_key: key('chaos'), account, brand: account.brand,
    start_time: 'asap', end_time: stop, packages: [pkg] };
  const body = await operation(buyer, 'create_media_buy', request);
  if (body?.task_id) buyer.tasks.push(body.task_id);
  if (!body?.media_buy_id) return;
  remember(buyer, body);
}

// A buy the buyer was told it has (created, or approved), and its state.
function remember(buyer, body) {
  const id = body.media_buy_id;
  const owner = ownerOf.get(id);
  if (owner && owner !== buyer.tenant) violation(buyer, 'cross_tenant', { id, owner });
  ownerOf.set(id, buyer.tenant);
  if (!buyer.buys.some((b) => b.id === id))
    buyer.buys.push({ id, package: body.packages?.[0]?.package_id, paused: false });
}

async function syncCreative(buyer) {
  const buy = buyer.buys[Math.floor(Math.random() * buyer.buys.length)];
  if (!buy?.package) return createBuy(buyer);
  const id = key('cr');
  await operation(buyer, 'sync_creatives', { idempotency_key: key('sync'), account,
    creatives: [{ creative_id: id, name: 'Chaos banner',
      format_id: { agent_url: 'https://creative.adcontextprotocol.org', id: 'display_300x250' },
      assets: { banner: { asset_type: 'image', url: 'https://cdn.acme.example/b.png', width: 300, height: 250 },
        landing: { asset_type: 'url', url_type: 'clickthrough', url: 'https://acme.example/' } } }],
    assignments: [{ creative_id: id, package_id: buy.package }] });
}

async function updateBuy(buyer) {
  const buy = buyer.buys[Math.floor(Math.random() * buyer.buys.length)];
  if (!buy) return createBuy(buyer);
  const body = await operation(buyer, 'update_media_buy', { idempotency_key: key('upd'), account,
    media_buy_id: buy.id, paused: !buy.paused });
  if (body) buy.paused = !buy.paused;
}

// Reads its own buys back: any id it was not given is another's data.
async function readBuys(buyer) {
  const ids = buyer.buys.slice(-10).map((b) => b.id);
  if (!ids.length) return getProducts(buyer);
  const body = await operation(buyer, 'get_media_buys', { account, media_buy_ids: ids });
  for (const mb of body?.media_buys ?? []) {
    if (!ids.includes(mb.media_buy_id)) violation(buyer, 'cross_tenant', { id: mb.media_buy_id });
  }
}

function approve(buyer, task) {
  return new Promise((resolve) => {
    const started = Date.now();
    execFile(process.env.ADCPCTL, ['approve-human-task', buyer.tenant, task], { timeout: 30000 },
      (error, stdout, stderr) => {
        const text = `${stdout}${stderr}`;
        let answer = {};
        try { answer = JSON.parse(stdout); } catch { /* an error's text */ }
        const ok = !error && answer.status === 'approved';
        const settled = ok || /not pending|already|no such task/.test(text);
        log({ kind: 'final', t: Date.now(), start: started, op: 'approve', tenant: buyer.tenant,
          ok, http: ok ? 200 : 0, code: ok ? '' : text.trim().split('\n').pop().slice(0, 200),
          attempts: 1, ms: Date.now() - started, key: task, media_buy_id: answer.media_buy_id ?? '' });
        if (ok && answer.media_buy_id) remember(buyer, answer);
        resolve(settled);
      });
  });
}

async function approver(buyers) {
  while (!stopping) {
    for (const buyer of buyers) {
      const pending = buyer.tasks.splice(0);
      for (const task of pending) if (!(await approve(buyer, task))) buyer.tasks.push(task);
    }
    await sleep(2000);
  }
}

const ops = [[0.4, getProducts], [0.25, createBuy], [0.1, syncCreative], [0.1, updateBuy],
  [0.15, readBuys]];
async function worker(buyer) {
  await sleep(Math.random() * 1000);
  while (!stopping) {
    let r = Math.random();
    const op = ops.find(([p]) => (r -= p) < 0)?.[1] ?? getProducts;
    await op(buyer);
    await sleep(think * (0.5 + Math.random()));
  }
}

const buyers = readFileSync(credentialsFile, 'utf8').trim().split('\n').map((line) => {
  const [tenant, token, adapter, manual] = line.split(/\s+/);
  return { tenant, token, adapter, manual: manual === '1', buys: [], tasks: [] };
});
const runs = [approver(buyers)];
for (const buyer of buyers) for (let i = 0; i < perTenant; i++) runs.push(worker(buyer));
await Promise.all(runs);
