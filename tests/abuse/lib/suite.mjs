// The five binaries started as `./dev up` starts them (one process each, the
// real adapters, dry_run without credentials), on free ports, against the
// database of ABUSE_*_DATABASE_URL (each service its own role, the edge and
// the admin gateway none); a fake Kevel for the tenant whose ad server fails;
// tenants and buyers made through the admin REST API.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const hex = (n) => crypto.randomBytes(n).toString('hex');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// What the fake Kevel answers a campaign: an error whose text must never reach
// a buyer (issue 19, case 8).
export const KEVEL_SECRET = 'KEVEL-INTERNAL-7f3a upstream db-7.kevel.internal:5432 stack';

// A fake Kevel Management API on 127.0.0.1: records every request; campaigns
// fail with KEVEL_SECRET in the body, everything else succeeds.
export async function startFakeKevel() {
  const requests = [];
  let next = 100;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method, url: req.url, body });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url.startsWith('/v1/campaign')) {
        res.statusCode = 400;
        res.end(JSON.stringify({ message: KEVEL_SECRET }));
      } else if (req.method === 'POST') {
        res.end(JSON.stringify({ Id: next++ }));
      } else if (req.method === 'PUT') {
        res.end(body || '{}');
      } else {
        res.end(JSON.stringify({ items: [] }));
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}

// name, binary env variable, port variable, what the port is logged as.
const SERVICES = [
  ['tenant-registry', 'ABUSE_REGISTRY_BINARY', 'TENANT_REGISTRY_PORT', 'grpc_port'],
  ['auth', 'ABUSE_AUTH_BINARY', 'AUTH_PORT', 'grpc_port'],
  ['media-buy', 'ABUSE_MEDIA_BUY_BINARY', 'MEDIA_BUY_PORT', 'grpc_port'],
  ['agent-edge', 'ABUSE_EDGE_BINARY', 'AGENT_HTTP_PORT', 'http_port'],
  ['admin-gateway', 'ABUSE_ADMIN_BINARY', 'ADMIN_HTTP_PORT', 'http_port'],
];

// Each database-backed service's URL (its own role), from abuse_test.cc.
export function databaseUrlsFromEnv(env = process.env) {
  const urls = {
    registry: env.ABUSE_REGISTRY_DATABASE_URL,
    purge: env.ABUSE_PURGE_DATABASE_URL,
    auth: env.ABUSE_AUTH_DATABASE_URL,
    mediaBuy: env.ABUSE_MEDIA_BUY_DATABASE_URL,
  };
  for (const [name, url] of Object.entries(urls)) {
    if (!url) throw new Error(`no database URL for ${name} (ABUSE_*_DATABASE_URL)`);
  }
  return urls;
}

// A TCP port of 127.0.0.1 that was free a moment ago.
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export class Services {
  constructor({ databaseUrls, kevelBaseUrl, log = console.log }) {
    this.databaseUrls = databaseUrls;
    this.log = log;
    this.internalToken = hex(32);
    // Auth holds only the bootstrap token's SHA-256; start() creates the
    // named admin "admin" with it and mints systemToken, its API token.
    this.bootstrapToken = hex(32);
    this.systemToken = '';
    this.adminUser = 'admin';
    this.adminPassword = hex(12);
    this.sessionSecret = hex(32);
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'adcp-abuse-'));
    this.secretsDir = path.join(this.tmp, 'adapter-secrets');
    fs.mkdirSync(this.secretsDir, { mode: 0o700 });
    fs.writeFileSync(path.join(this.secretsDir, 'kevel-abuse'), 'kevel-key-abuse-suite\n');
    this.kevelBaseUrl = kevelBaseUrl;
    this.procs = {}; // name -> {child, port, log, exit}
    this.ports = {};
    this.crashes = []; // {name, code, signal, tail}
    this.restarting = null;
  }

  env(name) {
    const common = {
      PATH: process.env.PATH || '/usr/bin:/bin',
      ADCP_INTERNAL_TOKEN: this.internalToken,
      LOG_LEVEL: process.env.ABUSE_LOG_LEVEL || 'info',
      BIND_HOST: '127.0.0.1',
      METRICS_PORT: '-1',
      DB_WAIT_SECONDS: '5',
    };
    const registry = `127.0.0.1:${this.ports['tenant-registry']}`;
    const auth = `127.0.0.1:${this.ports.auth}`;
    const mediaBuy = `127.0.0.1:${this.ports['media-buy']}`;
    const own = SERVICES.find((s) => s[0] === name);
    common[own[2]] = String(this.ports[name] || 0);
    switch (name) {
      case 'tenant-registry':
        return {
          ...common,
          DATABASE_URL: this.databaseUrls.registry,
          DATABASE_PURGE_URL: this.databaseUrls.purge,
          AUDIT_SIGNING_KEY: 'abuse-suite-audit-signing-key-0123456789',
          AUTH_ADDR: auth,
        };
      case 'auth':
        return {
          ...common,
          DATABASE_URL: this.databaseUrls.auth,
          TENANT_REGISTRY_ADDR: registry,
          SYSTEM_ADMIN_BOOTSTRAP_SHA256: crypto.createHash('sha256').update(this.bootstrapToken).digest('hex'),
        };
      case 'media-buy':
        return {
          ...common,
          DATABASE_URL: this.databaseUrls.mediaBuy,
          TENANT_REGISTRY_ADDR: registry,
          AUTH_ADDR: auth,
          ADAPTER_SECRETS_DIR: this.secretsDir,
          MEDIA_BUY_ADAPTER_DRY_RUN_WITHOUT_CREDENTIALS: 'true',
          MEDIA_BUY_ADAPTER_STAND_IN: '',
          MEDIA_BUY_ADAPTER_BASE_CONFIG: JSON.stringify({
            kevel: { base_url: this.kevelBaseUrl, priority_id: '7', ad_type_id: '5' },
          }),
          MEDIA_BUY_ADAPTER_TIMEOUT_SECONDS: '2',
          MEDIA_BUY_ADAPTER_MAX_ATTEMPTS: '1',
        };
      case 'agent-edge':
        return {
          ...common,
          TENANT_REGISTRY_ADDR: registry,
          AUTH_ADDR: auth,
          MEDIA_BUY_ADDR: mediaBuy,
          BASE_DOMAINS: 'sales-agent.example.com,localhost',
        };
      case 'admin-gateway':
        return {
          ...common,
          TENANT_REGISTRY_ADDR: registry,
          AUTH_ADDR: auth,
          MEDIA_BUY_ADDR: mediaBuy,
          SESSION_SECRET: this.sessionSecret,
        };
      default:
        return common;
    }
  }

  async startOne(name) {
    const spec = SERVICES.find((s) => s[0] === name);
    const binary = process.env[spec[1]];
    if (!binary) throw new Error(`${spec[1]} is not set`);
    const child = spawn(binary, [], { env: this.env(name), stdio: ['ignore', 'pipe', 'pipe'] });
    const entry = { child, log: '', exit: null };
    this.procs[name] = entry;
    const onData = (d) => {
      entry.log += d.toString('utf8');
      if (entry.log.length > 400000) entry.log = entry.log.slice(-200000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      entry.exit = { code, signal };
    });
    const deadline = Date.now() + 30000;
    for (;;) {
      const line = entry.log.split('\n').find((l) => l.includes('"msg":"serving"'));
      const m = line && new RegExp(`"${spec[3]}":(\\d+)`).exec(line);
      if (m) {
        this.ports[name] = +m[1];
        return;
      }
      if (entry.exit) throw new Error(`${name} exited during start-up (${JSON.stringify(entry.exit)}):\n${entry.log.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${name} did not start within 30 s:\n${entry.log.slice(-3000)}`);
      await sleep(20);
    }
  }

  async start() {
    // The registry resolves admin tokens at auth, which starts after it.
    this.ports.auth = await freePort();
    for (const [name] of SERVICES) await this.startOne(name);
    this.systemToken = this.firstAdminToken();
  }

  // As an operator does once: creates "admin" with the bootstrap token, then
  // signs in with its password and mints an API token (adcpctl).
  firstAdminToken() {
    const env = {
      PATH: process.env.PATH || '/usr/bin:/bin',
      AUTH_ADDR: `127.0.0.1:${this.ports.auth}`,
      ADCP_INTERNAL_TOKEN: this.internalToken,
    };
    const adcpctl = (args, token) => spawnSync(process.env.ABUSE_ADCPCTL_BINARY, args, {
      env: { ...env, SYSTEM_ADMIN_TOKEN: token },
      input: `${this.adminPassword}\n`,
      encoding: 'utf8',
    });
    const created = adcpctl(['admins', 'create', this.adminUser, 'Admin'], this.bootstrapToken);
    if (created.status !== 0) throw new Error(`adcpctl admins create: ${created.stderr}`);
    const minted = adcpctl(['admin-tokens', 'create', this.adminUser], '');
    const m = /^token: *(\S+)/m.exec(minted.stdout || '');
    if (minted.status !== 0 || !m) throw new Error(`adcpctl admin-tokens create: ${minted.stderr}`);
    return m[1];
  }

  alive(name) {
    const p = this.procs[name];
    return p && !p.exit;
  }

  // The services that exited, each reported once.
  newlyDead() {
    const out = [];
    for (const [name] of SERVICES) {
      const p = this.procs[name];
      if (p && p.exit && !p.reported) {
        p.reported = true;
        const tail = p.log.split('\n').filter(Boolean).slice(-6).join('\n');
        const crash = { name, ...p.exit, tail };
        this.crashes.push(crash);
        out.push(crash);
      }
    }
    return out;
  }

  anyDead() {
    return SERVICES.some(([name]) => this.procs[name] && this.procs[name].exit);
  }

  // Restarts whatever exited, on the same ports (once at a time).
  async ensureUp() {
    if (!this.anyDead()) return;
    if (!this.restarting) {
      this.restarting = (async () => {
        this.newlyDead();
        for (const [name] of SERVICES) {
          if (this.procs[name] && this.procs[name].exit) {
            this.log(`    (restarting ${name} on port ${this.ports[name]})`);
            await this.startOne(name);
          }
        }
        await sleep(300); // the caches resync
      })().finally(() => {
        this.restarting = null;
      });
    }
    await this.restarting;
  }

  async stop() {
    const children = Object.values(this.procs).filter((p) => !p.exit).map((p) => p.child);
    for (const c of children) c.kill('SIGTERM');
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && Object.values(this.procs).some((p) => !p.exit)) await sleep(50);
    for (const p of Object.values(this.procs)) if (!p.exit) p.child.kill('SIGKILL');
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  killAllNow() {
    for (const p of Object.values(this.procs)) if (!p.exit) p.child.kill('SIGKILL');
  }

  get edgePort() { return this.ports['agent-edge']; }
  get adminPort() { return this.ports['admin-gateway']; }
  get edgeUrl() { return `http://127.0.0.1:${this.edgePort}`; }
  get adminUrl() { return `http://127.0.0.1:${this.adminPort}`; }
}

// JSON over fetch; {status, headers, text, json}.
export async function call(url, { method = 'GET', headers = {}, body, timeoutMs = 15000 } = {}) {
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function admin(services, method, pathname, body) {
  return call(services.adminUrl + pathname, {
    method,
    headers: { 'X-System-Token': services.systemToken, 'Content-Type': 'application/json' },
    body,
  });
}

let rpcId = 1;
// tools/call over MCP: {status, json, payload (structuredContent), isError, text}.
export async function mcp(edgeUrl, subdomain, token, name, args = {}, { timeoutMs = 15000 } = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  if (token) headers['x-adcp-auth'] = token;
  const r = await call(`${edgeUrl}/tenants/${subdomain}/mcp`, {
    method: 'POST',
    headers,
    body: { jsonrpc: '2.0', id: rpcId++, method: 'tools/call', params: { name, arguments: args } },
    timeoutMs,
  });
  const result = r.json && r.json.result;
  return { ...r, payload: result && result.structuredContent, isError: result ? result.isError : undefined };
}

export async function rest(edgeUrl, subdomain, token, task, args = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers['x-adcp-auth'] = token;
  return call(`${edgeUrl}/tenants/${subdomain}/v1/${task}`, { method: 'POST', headers, body: args });
}

// Creates tenants A (mock ad server, generous rate limits for the hostile
// groups), B (mock, defaults: the tenant that must stay served) and K (Kevel,
// against the fake Kevel), a buyer in each, and one media buy of A's buyer.
export async function setUpTenants(services) {
  const tenants = {
    a: { id: 'abusea', config: { adapters: { mock: { enabled: true } }, creative_engine: { human_review_required: false }, rate_limits: GENEROUS } },
    b: { id: 'abuseb', config: { adapters: { mock: { enabled: true } }, creative_engine: { human_review_required: false } } },
    k: {
      id: 'abusek',
      config: {
        adapters: { kevel: { enabled: true, network_id: '789', api_key_secret: 'kevel-abuse', manual_approval_required: false } },
        creative_engine: { human_review_required: false },
      },
    },
  };
  for (const t of Object.values(tenants)) {
    const created = await admin(services, 'POST', '/system/tenants', {
      tenant_id: t.id, name: `Abuse ${t.id}`, subdomain: t.id, config: t.config,
    });
    if (created.status !== 201) throw new Error(`creating tenant ${t.id}: ${created.status} ${created.text}`);
    t.adminToken = created.json.admin_token;
    const principal = await admin(services, 'POST', `/system/tenants/${t.id}/principals`, {
      name: `Buyer of ${t.id}`, principal_id: 'buyer',
      ...(t.id === 'abusek' ? { platform_mappings: { kevel: { advertiser_id: '42' } } } : {}),
    });
    if (principal.status !== 201) throw new Error(`creating the buyer of ${t.id}: ${principal.status} ${principal.text}`);
    t.token = principal.json.access_token;
  }
  // The edge and media-buy learn of the tenants through the registry's watch.
  const deadline = Date.now() + 10000;
  for (const t of Object.values(tenants)) {
    for (;;) {
      const r = await mcp(services.edgeUrl, t.id, t.token, 'get_products', { buying_mode: 'wholesale' });
      if (r.status === 200 && r.payload && Array.isArray(r.payload.products) && !r.isError) {
        t.products = r.payload.products;
        break;
      }
      if (Date.now() > deadline) throw new Error(`${t.id}'s buyer is not served: ${r.status} ${r.text.slice(0, 500)}`);
      await sleep(50);
    }
  }
  const a = tenants.a;
  a.buy = await createBuy(services, a);
  if (!a.buy.media_buy_id) throw new Error(`A's media buy: ${JSON.stringify(a.buy).slice(0, 500)}`);
  return tenants;
}

export const GENEROUS = {
  tenant_requests_per_second: 100000, tenant_burst: 200000,
  principal_requests_per_second: 100000, principal_burst: 200000,
};

export function buyRequest(t, { key = `abuse-${hex(8)}`, start, end } = {}) {
  const product = t.products.find((p) => (p.pricing_options || []).length) || t.products[0];
  const option = (product.pricing_options || [])[0] || {};
  const now = Date.now();
  return {
    idempotency_key: key,
    account: { brand: { domain: 'acme.example' }, operator: 'agency.example' },
    brand: { domain: 'acme.example' },
    start_time: start || new Date(now + 3600e3).toISOString().replace(/\.\d+Z$/, 'Z'),
    end_time: end || new Date(now + 10 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z'),
    packages: [{
      product_id: product.product_id,
      pricing_option_id: option.pricing_option_id,
      budget: 1000,
      ...(option.fixed_price === undefined && option.floor_price !== undefined ? { bid_price: option.floor_price + 1 } : {}),
    }],
  };
}

export async function createBuy(services, t) {
  const r = await mcp(services.edgeUrl, t.id, t.token, 'create_media_buy', buyRequest(t));
  return r.payload || { error: r.text };
}
