// Tenant A's side of ./dev chaos --noisy (bench/chaos/noisy.mjs), in its
// own process so that its sockets never share an event loop with the
// measured tenant's calls.
//
// usage: node noisy_load.mjs MODE EDGE_URL TENANT TOKEN SECONDS
//   MODE: creates   8 workers creating one-package buys back to back, a
//                   429 waited out (the phase where A's ad server hangs);
//         flood     get_products at NOISY_FLOOD_RPS (500: ten times the
//                   default principal limit) over 16 connections;
//         big-buys  4 workers creating buys of 50 packages each, the same way.
// Prints one JSON line: {mode, sent, seconds, outcomes}.
import http from 'node:http';
import { postJson } from './post_json.mjs';
import { randomBytes } from 'node:crypto';

const [mode, edge, tenant, token, secondsText] = process.argv.slice(2);
const seconds = Number(secondsText);
const url = new URL(edge);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const account = { brand: { domain: 'acme.example' }, operator: 'agency.example' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const call = (task, request) =>
  postJson(agent, url, `/tenants/${tenant}/v1/${task}`, { 'x-adcp-auth': token }, request);

const outcomes = {};
let sent = 0;
const note = (r) => {
  sent++;
  const code = r.body?.adcp_error?.code ?? r.body?.errors?.[0]?.code;
  const key = `${r.status}${code ? ' ' + code : ''}${r.body?.net ? ' ' + r.body.net : ''}`;
  outcomes[key] = (outcomes[key] || 0) + 1;
};

async function products() {
  const r = await call('get_products', { buying_mode: 'wholesale', brief: 'display advertising' });
  const list = r.body?.products ?? [];
  if (!list.length) throw new Error(`A's get_products: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return list;
}

function packageOf(product) {
  const option = product.pricing_options?.[0] ?? {};
  const pkg = { product_id: product.product_id, pricing_option_id: option.pricing_option_id, budget: 100 };
  if (option.fixed_price == null && option.floor_price != null) pkg.bid_price = option.floor_price + 1;
  return pkg;
}

function buy(packages) {
  const end = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 13) + ':00:00Z';
  return call('create_media_buy', { idempotency_key: `noisy-${randomBytes(8).toString('hex')}`, account,
    brand: account.brand, start_time: 'asap', end_time: end, packages });
}

const t0 = Date.now();
const running = () => Date.now() - t0 < seconds * 1000;
if (mode === 'creates' || mode === 'big-buys') {
  const list = await products();
  const size = mode === 'creates' ? 1 : 50;
  const workers = mode === 'creates' ? 8 : 4;
  const packages = Array.from({ length: size }, (_, i) => packageOf(list[i % list.length]));
  // A buyer's behaviour: back to back, but a 429 is waited out.
  await Promise.all(Array.from({ length: workers }, async () => {
    while (running()) {
      const r = await buy(packages);
      note(r);
      if (r.status === 429) await sleep(250);
    }
  }));
} else if (mode === 'flood') {
  const rps = Number(process.env.NOISY_FLOOD_RPS || 500);
  const request = { buying_mode: 'wholesale', brief: 'display advertising' };
  const inFlight = new Set();
  let next = Date.now();
  while (running()) {
    if (inFlight.size < 16) {
      const p = call('get_products', request).then((r) => { note(r); inFlight.delete(p); });
      inFlight.add(p);
      next += 1000 / rps;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
    } else {
      await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
} else {
  throw new Error(`unknown mode ${mode}`);
}
agent.destroy();
process.stdout.write(JSON.stringify({ mode, sent, seconds: (Date.now() - t0) / 1000, outcomes }) + '\n');
