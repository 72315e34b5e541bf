// What the abuse suite's groups share: the bookkeeping of a group, sending
// one hostile request and checking its answer, the expectations, request
// builders, and the check after each group (see abuse.mjs).
import { buildRequest, send } from './raw_http.mjs';
import { admin, call, mcp, rest, sleep } from './suite.mjs';

export const STRICT = process.env.ADCP_ABUSE_STRICT === '1';
// Hostile requests come from 127.0.0.2 (the anonymous flood from 127.0.0.3
// and up); the checks and the buyers' own calls from 127.0.0.1. Limits per
// client address then throttle the attacker, not the tenants' buyers.
// The source address is ctx.attacker (below): abuse.mjs sets it to
// undefined when only 127.0.0.1 works.
export const ONLY = (process.env.ADCP_ABUSE_ONLY || '').split(',').filter(Boolean);
export const started = Date.now();
export const out = (...a) => console.log(...a);

// Failures of current main (tolerated unless ADCP_ABUSE_STRICT=1). Each is
// [group, regexp on the request label, what happens]. `crash: true` entries
// are not sent at all (they take a service down).
// Since 2ff4be6 (ForwardTenant, ParseJsonBounded, fair limits, admin
// slow-down), 3706757/5d96349 (bounded ad-server work, edge bulkhead) and
// b7b3fa0 (invalid UTF-8 a 400) nothing crashes any more; since the edge's
// argument type check (lists capped, publisher_domains capped) the strict
// run passes too: nothing is tolerated. Add an entry only with an issue.
export const KNOWN = [];

export function known(group, label) {
  return KNOWN.find((k) => k.group === group && k.match.test(label));
}

// ---------------------------------------------------------------------------
// Bookkeeping

export class Group {
  constructor(name, title) {
    this.name = name;
    this.title = title;
    this.sent = 0;
    this.skipped = 0;
    this.counts = new Map();
    this.failures = [];
    this.knownFailures = [];
  }
  count(key) {
    this.counts.set(key, (this.counts.get(key) || 0) + 1);
  }
  fail(label, problem, response) {
    const k = STRICT ? null : known(this.name, label);
    const entry = { label, problem, got: describe(response) };
    if (k) this.knownFailures.push({ ...entry, why: k.why });
    else this.failures.push(entry);
  }
}

// What every group shares: the running services, the tenants, the fake
// Kevel and the attacker's source address (abuse.mjs fills it in).
export const ctx = { services: undefined, tenants: undefined, kevel: undefined, attacker: '127.0.0.2' };

export function describe(r) {
  if (!r) return '';
  if (r.status === 0) return r.closed ? 'connection closed without a response' : `socket error ${r.error}`;
  const body = (r.body !== undefined ? r.body : r.text || '').replace(/\s+/g, ' ');
  return `${r.status} ${body.slice(0, 240)}`;
}

export function statusKey(r) {
  if (r.status) return String(r.status);
  return r.closed ? 'closed' : r.error === 'timeout' ? 'timeout' : 'error';
}

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Valid UTF-8? (an answer must never carry the invalid bytes it was sent)
export const utf8 = new TextDecoder('utf-8', { fatal: true });
export function validUtf8(buf) {
  try {
    utf8.decode(buf);
    return true;
  } catch {
    return false;
  }
}

// Sends one hostile request and checks it. `expect(r)` returns a problem or
// null. Connection failures while a service is down are blamed on the
// service's crash, which is reported with this request's label.
export async function hostile(g, label, port, bytes, expect, opts = {}) {
  const k = !STRICT && known(g.name, label);
  if (k && k.crash) {
    g.skipped++;
    g.knownFailures.push({ label, problem: 'not sent (known to crash a service)', got: '', why: k.why });
    return null;
  }
  if (ctx.services.restarting) await ctx.services.restarting;
  const r = await send(typeof port === 'function' ? port() : port, bytes, { localAddress: ctx.attacker, ...opts });
  g.sent++;
  g.count(statusKey(r));
  if (r.status === 0 && !r.timedOut) {
    await sleep(30);
    const dead = ctx.services.newlyDead();
    if (dead.length) {
      for (const d of dead) {
        g.fail(label, `${d.name} died (exit ${d.code ?? ''}${d.signal ? ' signal ' + d.signal : ''}); its last log lines:\n        ${d.tail.replace(/\n/g, '\n        ')}`, r);
      }
      await ctx.services.ensureUp();
      r.crashed = true;
      return r;
    }
    if (ctx.services.anyDead()) {
      g.fail(label, 'a service was down (crashed by an earlier request)', r);
      await ctx.services.ensureUp();
      return r;
    }
  }
  const problem = expect(r);
  if (problem) g.fail(label, problem, r);
  return r;
}

// ---------------------------------------------------------------------------
// Expectations

export const isJsonResponse = (r) => /application\/json/i.test(r.headers?.['content-type'] || '') && parseJson(r.body) !== undefined;

// 4xx with a JSON error body.
export function fourxxJson(r) {
  if (r.status === 0) return `no response (${describe(r)})`;
  if (r.status >= 500) return `answered ${r.status}`;
  if (r.status < 400) return `answered ${r.status}, expected a 4xx`;
  if (!isJsonResponse(r)) return `answered ${r.status} without a JSON body`;
  return null;
}

// Not a 5xx and not dropped; error answers of JSON endpoints are JSON.
export function survives({ json = true, closeOk = false } = {}) {
  return (r) => {
    if (r.status === 0) return closeOk && r.closed ? null : `no response (${describe(r)})`;
    if (r.status >= 500) return `answered ${r.status}`;
    if (json && r.status >= 400 && !isJsonResponse(r)) return `answered ${r.status} without a JSON body`;
    return null;
  };
}

// Malformed framing: a 4xx (JSON) or closing the connection.
export function framing(r) {
  if (r.status === 0) return r.closed ? null : `no response (${describe(r)})`;
  if (r.status >= 500) return `answered ${r.status}`;
  if (r.status < 400) return `answered ${r.status}: malformed framing was accepted`;
  if (!isJsonResponse(r)) return `answered ${r.status} without a JSON body`;
  return null;
}

// An MCP answer that is an error: a 4xx with JSON, or a 200 carrying a
// JSON-RPC error or a tool result with isError.
export function mcpError(r) {
  if (r.status === 0) return `no response (${describe(r)})`;
  if (r.status >= 500) return `answered ${r.status}`;
  const body = parseJson(r.body);
  if (body === undefined) return `answered ${r.status} without a JSON body`;
  if (r.status >= 400) return null;
  if (r.status === 200 && body && (body.error || body.result?.isError === true)) return null;
  if (r.status === 200 && Array.isArray(body) && body.every((x) => x && x.error)) return null;
  return `answered ${r.status} without an error: ${r.body.slice(0, 160)}`;
}

// The AdCP error of an answer (REST body or MCP structuredContent).
export function adcpErrorOf(r) {
  const body = parseJson(r.body);
  if (!body) return undefined;
  if (body.adcp_error) return body.adcp_error;
  const sc = body.result?.structuredContent;
  if (sc?.adcp_error) return sc.adcp_error;
  return undefined;
}

export function namesField(error, message, field, orBody = false) {
  if (!field) return true;
  if (orBody && (((error && error.field) || '') === 'body' || /^(body|arguments|params)\b|parse error|invalid json|utf-?8|nested deeper|depth/i.test(message || ''))) return true;
  const leaf = field.replace(/\[\d*\]/g, '').split('.').pop();
  const f = (error && error.field) || '';
  return f === field || f.startsWith(field) || f.endsWith(leaf) || (message || '').includes(leaf);
}

// 400 / VALIDATION_ERROR or INVALID_REQUEST naming `field` (REST), or the
// same error in an MCP tool result or a JSON-RPC -32602 naming it.
// `orBody`: an error about the whole document (it does not parse) will do.
export function invalid(field, { transport = 'rest', orBody = false } = {}) {
  return (r) => {
    if (r.status === 0) return `no response (${describe(r)})`;
    if (r.status >= 500) return `answered ${r.status}`;
    const body = parseJson(r.body);
    if (body === undefined) return `answered ${r.status} without a JSON body`;
    if (transport === 'mcp' && body.error) {
      return namesField(null, body.error.message, field, orBody) ? null : `JSON-RPC error does not name ${field}: ${body.error.message}`;
    }
    const error = adcpErrorOf(r);
    if (transport === 'rest' && r.status !== 400) return `answered ${r.status}, expected 400`;
    if (transport === 'mcp' && r.status !== 200 && r.status !== 400) return `answered ${r.status}`;
    if (!error) return `no adcp_error`;
    if (!['VALIDATION_ERROR', 'INVALID_REQUEST'].includes(error.code)) return `adcp_error.code ${error.code}`;
    if (!namesField(error, error.message, field, orBody)) return `the error does not name ${field} (field: ${error.field || '-'}, message: ${String(error.message).slice(0, 120)})`;
    return null;
  };
}

// 401 with a Bearer challenge, or a 429 with JSON (failed authentications
// throttled), or a 400 for bytes that break the header line.
// Over MCP a throttled call may also be a 200 whose tool result is the error
// RATE_LIMITED (MCP carries task errors in the result).
export function unauthorized({ framingOk = false } = {}) {
  return (r) => {
    if (r.status === 0) return framingOk && r.closed ? null : `no response (${describe(r)})`;
    if (framingOk && r.status === 400 && isJsonResponse(r)) return null;
    if (r.status === 429) return isJsonResponse(r) ? null : '429 without JSON';
    if (r.status === 200 && parseJson(r.body)?.result?.isError && adcpErrorOf(r)?.code === 'RATE_LIMITED') return null;
    if (r.status !== 401) return `answered ${r.status}, expected 401`;
    if (!/^Bearer/i.test(r.headers['www-authenticate'] || '')) return '401 without a WWW-Authenticate: Bearer challenge';
    if (parseJson(r.body) === undefined) return '401 without a JSON body';
    return null;
  };
}

// A 400 with JSON; for an anonymous caller a 429 with JSON will do too (the
// caller's own budget, spent by the suite's earlier anonymous requests).
export function badRequestOr429(r) {
  const p = fourxxJson(r);
  if (p) return p;
  return r.status === 400 || r.status === 429 ? null : `answered ${r.status}, expected 400`;
}

export const all = (...checks) => (r) => {
  for (const c of checks) {
    const p = c(r);
    if (p) return p;
  }
  return null;
};

// ---------------------------------------------------------------------------
// Requests

export const A = () => ctx.tenants.a;
export const edge = () => ctx.services.edgePort;
export const adm = () => ctx.services.adminPort;
export const mcpBody = (name, args, id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
export const json = [['Content-Type', 'application/json']];

export function edgeRest(task, body, headers = [['x-adcp-auth', A().token]], { tenant = A().id, ...extra } = {}) {
  return buildRequest({ method: 'POST', target: `/tenants/${tenant}/v1/${task}`, headers: [...json, ...headers], body, ...extra });
}
export function edgeMcp(body, headers = [['x-adcp-auth', A().token]], { tenant = A().id, ...extra } = {}) {
  return buildRequest({ method: 'POST', target: `/tenants/${tenant}/mcp`, headers: [...json, ...headers], body, ...extra });
}
export function adminRest(method, target, body, headers = [['X-System-Token', ctx.services.systemToken]]) {
  return buildRequest({ method, target, headers: [...json, ...headers], body: body ?? '' });
}

// Bytes that break an HTTP header line (CTLs other than HTAB, and DEL):
// framing errors, where a 400 or a closed connection are both right.
export const breaksHeader = (b) => (b < 0x20 && b !== 0x09) || b === 0x7f;


// ---------------------------------------------------------------------------
// After each group

export async function checkServices(g) {
  for (const d of ctx.services.newlyDead()) g.fail('after the group', `${d.name} is not running (exit ${d.code ?? ''}${d.signal ? ' signal ' + d.signal : ''}):\n        ${d.tail.replace(/\n/g, '\n        ')}`, null);
  await ctx.services.ensureUp();
  for (const [name, url] of [['agent-edge', ctx.services.edgeUrl], ['admin-gateway', ctx.services.adminUrl]]) {
    const h = await call(`${url}/healthz`, { timeoutMs: 5000 }).catch((e) => ({ status: 0, text: String(e) }));
    if (h.status !== 200) g.fail(`after the group: ${name} GET /healthz`, `answered ${h.status}`, h);
  }
  const b = await mcp(ctx.services.edgeUrl, ctx.tenants.b.id, ctx.tenants.b.token, 'get_products', { buying_mode: 'wholesale' }, { timeoutMs: 5000 }).catch((e) => ({ status: 0, text: String(e) }));
  if (b.status !== 200 || b.isError || !Array.isArray(b.payload?.products) || !b.payload.products.length) {
    g.fail('after the group: tenant B\'s buyer get_products', 'B\'s buyer was not served', b);
  }
}
