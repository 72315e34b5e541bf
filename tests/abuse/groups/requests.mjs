// Abuse groups about what a request carries: header bytes, invalid UTF-8,
// deep and wide JSON, wrong types, oversize requests.
import { buildRequest, pool } from '../lib/raw_http.mjs';
import { admin, buyRequest, call, hex, mcp, rest } from '../lib/suite.mjs';
import {
  ctx, describe, parseJson, utf8, validUtf8, hostile, isJsonResponse, fourxxJson, survives, framing, mcpError, invalid, unauthorized, badRequestOr429, all, A, edge, adm, mcpBody, json, edgeRest, edgeMcp, adminRest, breaksHeader,
} from '../lib/harness.mjs';

// ---------------------------------------------------------------------------
// Groups

export async function groupHeaderBytes(g) {
  const token = A().token;
  const split = (s, b, at) => Buffer.concat([Buffer.from(s.slice(0, at), 'latin1'), Buffer.from([b]), Buffer.from(s.slice(at), 'latin1')]);
  const csrf = hex(16);
  const getProducts = { buying_mode: 'wholesale' };
  // Header name -> value with byte b inside, per service.
  const headerValues = {
    'Host': (b, svc) => (svc === 'edge' ? split('abusea.localhost', b, 6) : split('127.0.0.1', b, 3)),
    'x-adcp-auth': (b) => split(token, b, 12),
    'Authorization': (b) => Buffer.concat([Buffer.from('Bearer '), split(token, b, 12)]),
    'Content-Type': (b) => split('application/json', b, 11),
    'Cookie': (b, svc, target) => (target === 'ui-login' ? split(`adcp_login_csrf=${csrf}`, b, 20) : target === 'ui-page' ? split(`adcp_admin_session=${ctx.services.sessionCookie || 'x.y'}`, b, 24) : split('a=1; b=2', b, 5)),
    'X-System-Token': (b) => split(ctx.services.systemToken, b, 8),
    'X-Forwarded-For': (b) => split('203.0.113.7, 198.51.100.1', b, 6),
    'x-tenant-id': (b) => split(ctx.tenants.b.id, b, 3),
    'x-request-id': (b) => split('req-0123456789', b, 4),
  };
  // Targets: the service, how to build the request given the header under
  // test, and what a byte that does not break framing must get.
  const targets = [
    {
      name: 'edge-mcp', svc: 'edge', port: edge,
      build: (h, v) => {
        const headers = [...json];
        if (h === 'Host') return buildRequest({ method: 'POST', target: '/mcp', host: null, headers: [['Host', v], ...headers, ['x-adcp-auth', token]], body: mcpBody('get_products', getProducts) });
        if (h !== 'x-adcp-auth' && h !== 'Authorization') headers.push(['x-adcp-auth', token]);
        const hs = headers.filter(([n]) => n.toLowerCase() !== h.toLowerCase());
        return buildRequest({ method: 'POST', target: `/tenants/${A().id}/mcp`, headers: [...hs, [h, v]], body: mcpBody('get_products', getProducts) });
      },
    },
    {
      name: 'edge-rest', svc: 'edge', port: edge,
      build: (h, v) => {
        const headers = [...json];
        if (h === 'Host') return buildRequest({ method: 'POST', target: '/v1/get_products', host: null, headers: [['Host', v], ...headers, ['x-adcp-auth', token]], body: JSON.stringify(getProducts) });
        if (h !== 'x-adcp-auth' && h !== 'Authorization') headers.push(['x-adcp-auth', token]);
        const hs = headers.filter(([n]) => n.toLowerCase() !== h.toLowerCase());
        return buildRequest({ method: 'POST', target: `/tenants/${A().id}/v1/get_products`, headers: [...hs, [h, v]], body: JSON.stringify(getProducts) });
      },
    },
    {
      name: 'admin-rest', svc: 'admin', port: adm,
      build: (h, v) => {
        const headers = h === 'X-System-Token' ? [] : [['X-System-Token', ctx.services.systemToken]];
        return buildRequest({ method: 'GET', target: `/system/tenants/${A().id}`, host: h === 'Host' ? null : '127.0.0.1', headers: [...headers, [h, v]] });
      },
    },
    {
      name: 'ui-login', svc: 'admin', port: adm, html: true,
      build: (h, v) => {
        // A sign-in whose CSRF pair does not match: refused before the
        // password is hashed, so 256 of them cost nothing.
        const headers = h === 'Cookie' ? [] : [['Cookie', `adcp_login_csrf=${csrf}`]];
        return buildRequest({
          method: 'POST', target: '/admin/login', host: h === 'Host' ? null : '127.0.0.1',
          headers: [...(h === 'Content-Type' ? [] : [['Content-Type', 'application/x-www-form-urlencoded']]), ...headers, [h, v]],
          body: `_csrf=${hex(16)}&username=admin&password=wrong`,
        });
      },
    },
  ];
  const items = [];
  for (const t of targets) {
    for (const h of Object.keys(headerValues)) {
      for (let b = 0; b < 256; ++b) items.push({ t, h, b });
    }
  }
  // The admin UI behind a session (the session cookie is read on every page).
  for (let b = 0; b < 256; ++b) {
    items.push({
      t: { name: 'ui-page', svc: 'admin', port: adm, html: true, build: (h, v) => buildRequest({ method: 'GET', target: '/admin/tenants', headers: [[h, v]] }) },
      h: 'Cookie', b,
    });
  }
  // Bytes in the path segment that names the tenant.
  for (let b = 0; b < 256; ++b) {
    items.push({ t: { name: 'edge-path', svc: 'edge', port: edge, build: (_, v) => buildRequest({ method: 'POST', target: v, headers: [...json, ['x-adcp-auth', token]], body: mcpBody('get_products', getProducts) }) }, h: 'path', b, value: split('/tenants/abusea/mcp', b, 14) });
    items.push({ t: { name: 'admin-path', svc: 'admin', port: adm, build: (_, v) => buildRequest({ method: 'GET', target: v, headers: [['X-System-Token', ctx.services.systemToken]] }) }, h: 'path', b, value: split('/system/tenants/abusea/principals', b, 19) });
  }
  // Series (a target and a header, 256 bytes) run one request at a time;
  // the series that can take the edge down (its token headers) run alone,
  // so that a crash is blamed on the request that caused it. In strict mode
  // a series is abandoned after two crashes (each costs a restart).
  const series = new Map();
  for (const it of items) {
    const key = `${it.t.name} ${it.h}`;
    if (!series.has(key)) series.set(key, []);
    series.get(key).push(it);
  }
  const risky = (key) => /^edge-(mcp|rest) (x-adcp-auth|Authorization)$|^admin-path/.test(key);
  const runSeries = async ([key, list]) => {
    let crashes = 0;
    for (const it of list) {
      if (crashes >= 2) {
        g.fail(`${key} (the rest of the series)`, `not sent after ${crashes} crashes: ${list.length - list.indexOf(it)} requests`, null);
        break;
      }
      const r = await one(it);
      if (r && r.crashed) crashes++;
    }
  };
  const entries = [...series.entries()];
  for (const e of entries.filter(([key]) => risky(key))) await runSeries(e);
  await pool(entries.filter(([key]) => !risky(key)), 12, runSeries);

  async function one({ t, h, b, value }) {
    const v = value || headerValues[h](b, t.svc, t.name);
    const label = `${t.name} ${h} byte 0x${b.toString(16).padStart(2, '0')}`;
    const breaks = h === 'path' ? (b <= 0x20 || b === 0x7f || b === 0x23 || b === 0x3f) : breaksHeader(b);
    let expect;
    if (breaks) {
      // The byte breaks the line (or ends the path): framing.
      expect = (r) => (r.status === 0 ? (r.closed ? null : `no response (${describe(r)})`) : survives({ json: true })(r));
    } else if (t.svc === 'edge' && (h === 'x-adcp-auth' || h === 'Authorization')) {
      expect = unauthorized();
    } else if (t.svc === 'edge' && h === 'Host') {
      expect = fourxxJson;
    } else {
      expect = survives({ json: !t.html });
    }
    return hostile(g, label, t.port, t.build(h, v), expect);
  }
}

export async function groupUtf8(g) {
  const bad = {
    'lone 0xff': [0xff],
    'lone continuation 0x80': [0x80],
    'truncated 0xc3': [0xc3],
    'bad continuation c3 28': [0xc3, 0x28],
    'overlong slash c0 af': [0xc0, 0xaf],
    'overlong NUL c0 80': [0xc0, 0x80],
    'surrogate ed a0 80': [0xed, 0xa0, 0x80],
    'above U+10FFFF f4 90 80 80': [0xf4, 0x90, 0x80, 0x80],
    'fe ff': [0xfe, 0xff],
    'truncated 3-byte e2 82': [0xe2, 0x82],
  };
  const wrap = (pre, bytes, post) => Buffer.concat([Buffer.from(pre), Buffer.from(bytes), Buffer.from(post)]);
  const rejects = (r) => (r.status === 200 ? 'invalid UTF-8 was accepted (200)' : null);
  const answerUtf8 = (r) => (r.status && !validUtf8(Buffer.from(r.body, 'utf8')) ? 'the answer is not valid UTF-8' : null);
  for (const [name, bytes] of Object.entries(bad)) {
    await hostile(g, `rest get_products brief ${name}`, edge, edgeRest('get_products', wrap('{"buying_mode":"brief","brief":"shoes ', bytes, '"}')), all(invalid('brief', { orBody: true }), answerUtf8));
    await hostile(g, `rest get_products key ${name}`, edge, edgeRest('get_products', wrap('{"buying_mode":"wholesale","', bytes, '":1}')), all(fourxxJson, rejects));
    await hostile(g, `rest get_products context ${name}`, edge, edgeRest('get_products', wrap('{"buying_mode":"wholesale","context":{"note":"', bytes, '"}}')), all(invalid('context', { orBody: true }), answerUtf8));
    await hostile(g, `mcp get_products brief ${name}`, edge, edgeMcp(wrap('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_products","arguments":{"buying_mode":"brief","brief":"', bytes, '"}}}')), all(mcpError, answerUtf8));
    await hostile(g, `mcp tool name ${name}`, edge, edgeMcp(wrap('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_', bytes, '","arguments":{}}}')), all(mcpError, answerUtf8));
    await hostile(g, `mcp method ${name}`, edge, edgeMcp(wrap('{"jsonrpc":"2.0","id":1,"method":"tools/', bytes, '"}')), all(mcpError, answerUtf8));
    await hostile(g, `mcp id ${name}`, edge, edgeMcp(wrap('{"jsonrpc":"2.0","id":"', bytes, '","method":"ping"}')), all(mcpError, answerUtf8));
    await hostile(g, `rest create_media_buy idempotency_key ${name}`, edge, edgeRest('create_media_buy', wrap('{"idempotency_key":"abcdefghijklmnop', bytes, '"}')), all(fourxxJson, answerUtf8));
    await hostile(g, `admin create tenant name ${name}`, adm, adminRest('POST', '/system/tenants', wrap('{"tenant_id":"utf8x","subdomain":"utf8x","name":"x', bytes, '"}')), all(fourxxJson, answerUtf8));
    await hostile(g, `admin principal name ${name}`, adm, adminRest('POST', `/system/tenants/${A().id}/principals`, wrap('{"name":"x', bytes, '"}')), all(fourxxJson, answerUtf8));
    await hostile(g, `admin config ${name}`, adm, adminRest('PUT', `/system/tenants/${A().id}/config`, wrap('{"branding":{"logo_url":"https://x.example/', bytes, '"}}')), all(fourxxJson, answerUtf8));
  }
  // Escaped lone surrogates: valid JSON syntax, not valid Unicode.
  for (const esc of ['\\ud800', '\\udfff', '\\ud800\\u0041', '\\udc00\\ud800']) {
    await hostile(g, `rest get_products brief escaped ${esc}`, edge, edgeRest('get_products', `{"buying_mode":"brief","brief":"x${esc}"}`), all(invalid('brief', { orBody: true }), answerUtf8));
    await hostile(g, `mcp get_products brief escaped ${esc}`, edge, edgeMcp(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_products","arguments":{"buying_mode":"brief","brief":"x${esc}"}}}`), all(mcpError, answerUtf8));
    await hostile(g, `admin principal name escaped ${esc}`, adm, adminRest('POST', `/system/tenants/${A().id}/principals`, `{"name":"x${esc}"}`), all(fourxxJson, answerUtf8));
  }
  // Invalid UTF-8 in the UI's sign-in form (percent-encoded; the CSRF pair
  // does not match, so no password is hashed).
  for (const enc of ['%FF', '%C0%AF', '%ED%A0%80', '%00']) {
    await hostile(g, `ui login username ${enc}`, adm, buildRequest({ method: 'POST', target: '/admin/login', headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Cookie', 'adcp_login_csrf=0123456789abcdef0123456789abcdef']], body: `_csrf=ffff&username=a${enc}b&password=x` }), survives({ json: false }));
  }
}

export async function groupDeepWide(g) {
  const deepArrays = '['.repeat(100000) + ']'.repeat(100000); // 200 KB
  const deepObjects = '{"a":'.repeat(40000) + '1' + '}'.repeat(40000); // 240 KB
  const nest = (n) => '['.repeat(n) + ']'.repeat(n);
  const bodies = [
    ['100,000 nested arrays', deepArrays],
    ['40,000 nested objects', deepObjects],
  ];
  for (const [what, body] of bodies) {
    await hostile(g, `rest get_products no token: ${what}`, edge, edgeRest('get_products', body, []), badRequestOr429);
    await hostile(g, `rest get_products buyer: ${what}`, edge, edgeRest('get_products', body), all(fourxxJson, (r) => (r.status === 400 ? null : `answered ${r.status}, expected 400`)));
    await hostile(g, `mcp body: ${what}`, edge, edgeMcp(body), mcpError);
    await hostile(g, `mcp no token body: ${what}`, edge, edgeMcp(body, []), mcpError);
    await hostile(g, `admin create tenant: ${what}`, adm, adminRest('POST', '/system/tenants', body), fourxxJson);
    await hostile(g, `admin config: ${what}`, adm, adminRest('PUT', `/system/tenants/${A().id}/config`, body), fourxxJson);
    await hostile(g, `admin principals: ${what}`, adm, adminRest('POST', `/system/tenants/${A().id}/principals`, body), fourxxJson);
    await hostile(g, `admin patch tenant: ${what}`, adm, adminRest('PATCH', `/system/tenants/${A().id}`, body), fourxxJson);
  }
  // Deep values inside valid envelopes.
  for (const depth of [100, 1000, 100000]) {
    // A depth limit applies while the document is parsed: an error about
    // the body will do.
    await hostile(g, `rest get_products context nested ${depth}`, edge, edgeRest('get_products', `{"buying_mode":"wholesale","context":{"x":${nest(depth)}}}`), invalid('context', { orBody: true }));
    await hostile(g, `mcp get_products arguments.context nested ${depth}`, edge, edgeMcp(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_products","arguments":{"buying_mode":"wholesale","context":{"x":${nest(depth)}}}}}`), invalid('context', { transport: 'mcp', orBody: true }));
    await hostile(g, `mcp params.extra nested ${depth}`, edge, edgeMcp(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":${nest(depth)}}}`), depth <= 100 ? survives() : mcpError);
    await hostile(g, `rest create_media_buy ext nested ${depth}`, edge, edgeRest('create_media_buy', JSON.stringify({ ...buyRequest(A()), ext: '@' }).replace('"@"', `{"x":${nest(depth)}}`)), invalid('ext', { orBody: true }));
    await hostile(g, `admin config features nested ${depth}`, adm, adminRest('PUT', `/system/tenants/${A().id}/config`, `{"features":{"x":${nest(depth)}}}`), fourxxJson);
  }
  // A legitimate depth still works.
  await hostile(g, 'rest get_products context nested 20 (legitimate)', edge, edgeRest('get_products', `{"buying_mode":"wholesale","context":{"x":${nest(20)}}}`), (r) => (r.status === 200 ? null : `a legitimate request answered ${r.status}`));
  // Wide: huge arrays and objects under the body limit.
  const ids = (n, f) => JSON.stringify(Array.from({ length: n }, (_, i) => f(i)));
  const wide = [
    ['rest get_media_buys 60,000 distinct ids', 'get_media_buys', `{"media_buy_ids":${ids(60000, (i) => `mb_${i}`)}}`, 'media_buy_ids'],
    ['rest get_media_buy_delivery 60,000 distinct ids', 'get_media_buy_delivery', `{"media_buy_ids":${ids(60000, (i) => `mb_${i}`)}}`, 'media_buy_ids'],
    ['rest get_media_buys status_filter 100,000', 'get_media_buys', `{"status_filter":${ids(100000, () => 'active')}}`, 'status_filter'],
    ['rest list_creatives 100,000 filter ids', 'list_creatives', `{"filters":{"creative_ids":${ids(100000, (i) => `c${i}`)}}}`, 'filters'],
    ['rest get_products refine 20,000', 'get_products', `{"buying_mode":"refine","refine":${ids(20000, () => ({ scope: 'request', ask: 'x' }))}}`, 'refine'],
    ['rest create_media_buy 5,000 packages', 'create_media_buy', JSON.stringify({ ...buyRequest(A()), packages: Array.from({ length: 5000 }, () => buyRequest(A()).packages[0]) }), 'packages'],
    ['rest sync_creatives 4,000 creatives', 'sync_creatives', JSON.stringify({ idempotency_key: `abuse-${hex(8)}`, account: buyRequest(A()).account, creatives: Array.from({ length: 4000 }, (_, i) => ({ creative_id: `c${i}`, name: 'x', format_id: { id: 'display_300x250', agent_url: 'https://creative.adcontextprotocol.org' }, assets: { image: { url: 'https://x.example/a.png' } } })) }), 'creatives'],
  ];
  for (const [label, task, body, field] of wide) {
    const t0 = Date.now();
    await hostile(g, label, edge, edgeRest(task, body), all(invalid(field), () => (Date.now() - t0 > 5000 ? `took ${Date.now() - t0} ms` : null)));
  }
  const wideObject = `{"buying_mode":"wholesale","context":{${Array.from({ length: 80000 }, (_, i) => `"k${i}":${i}`).join(',')}}}`;
  await hostile(g, 'rest get_products context with 80,000 members', edge, edgeRest('get_products', wideObject), survives());
  await hostile(g, 'rest get_products 100,000 unknown members', edge, edgeRest('get_products', `{"buying_mode":"wholesale",${Array.from({ length: 100000 }, (_, i) => `"u${i}":0`).join(',')}}`), survives());
  await hostile(g, 'mcp params with 100,000 members', edge, edgeMcp(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{${Array.from({ length: 100000 }, (_, i) => `"u${i}":0`).join(',')}}}`), survives());
  await hostile(g, 'admin config 50,000 publisher_domains', adm, adminRest('PUT', `/system/tenants/${A().id}/config`, `{"publisher_domains":${ids(50000, (i) => `d${i}.example`)}}`), fourxxJson);
  // (Undone if it was stored: every get_adcp_capabilities of A would carry them.)
  await admin(ctx.services, 'PUT', `/system/tenants/${A().id}/config`, { publisher_domains: null });
  // Numbers.
  for (const n of ['1e999999', '-1e400', '9'.repeat(100000), '1.' + '0'.repeat(100000) + '1']) {
    const short = `${n.slice(0, 12)}${n.length > 12 ? '…' : ''}`;
    await hostile(g, `rest get_products pagination.max_results ${short}`, edge, edgeRest('get_products', `{"buying_mode":"wholesale","pagination":{"max_results":${n}}}`), invalid('max_results', { orBody: true }));
    // 1.000…1 is a fine budget (about 1); the others are not numbers a budget can be.
    await hostile(g, `rest create_media_buy budget ${short}`, edge, edgeRest('create_media_buy', JSON.stringify(buyRequest(A())).replace('"budget":1000', `"budget":${n}`)), n.startsWith('1.') ? survives() : invalid('budget', { orBody: true }));
  }
  // A long string under the body limit.
  await hostile(g, 'rest get_products 900 KB brief', edge, edgeRest('get_products', JSON.stringify({ buying_mode: 'brief', brief: 'shoes '.repeat(150000) })), survives());
}

// The wrong JSON type for each field of each task, from tools/list.
export async function groupWrongTypes(g) {
  const listed = await call(`${ctx.services.edgeUrl}/tenants/${A().id}/mcp`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'x-adcp-auth': A().token },
    body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
  });
  const tools = listed.json?.result?.tools || [];
  if (!tools.length) {
    g.fail('tools/list', 'no tools listed', { status: listed.status, body: listed.text });
    return;
  }
  // Wrong values for a schema: [label, value] pairs.
  const wrong = (schema) => {
    if (!schema || Object.keys(schema).length === 0) return []; // google.protobuf.Value: anything goes
    switch (schema.type) {
      case 'string': return [['number', 12345], ['object', { x: 1 }]];
      case 'integer': return [['string', 'not-a-number'], ['object', {}], ['fraction', 1.5]];
      case 'number': return [['string', 'abc'], ['array', [1]]];
      case 'boolean': return [['string', 'yes'], ['object', {}]];
      case 'array': return [['string', 'x'], ['object', { a: 1 }]];
      case 'object': return [['string', 'x'], ['array', [1, 2]]];
      default: return [];
    }
  };
  const items = [];
  for (const tool of tools) {
    const props = tool.inputSchema?.properties || {};
    for (const [field, schema] of Object.entries(props)) {
      const values = wrong(schema);
      values.forEach(([kind, value], i) => items.push({ tool: tool.name, field, kind, value, transport: i % 2 ? 'mcp' : 'rest' }));
      // One level down (messages only, not Struct).
      const inner = schema.type === 'object' ? schema.properties : schema.type === 'array' && schema.items?.type === 'object' ? schema.items.properties : null;
      for (const [sub, subSchema] of Object.entries(inner || {})) {
        const [first] = wrong(subSchema);
        if (!first) continue;
        const value = schema.type === 'array' ? [{ [sub]: first[1] }] : { [sub]: first[1] };
        items.push({ tool: tool.name, field: `${field}.${sub}`, kind: first[0], value, top: field, transport: 'rest' });
      }
    }
  }
  await pool(items, 6, async (it) => {
    const args = { [it.top || it.field]: it.value };
    const label = `${it.transport} ${it.tool} ${it.field} as ${it.kind}`;
    if (it.transport === 'rest') {
      await hostile(g, label, edge, edgeRest(it.tool, JSON.stringify(args)), invalid(it.field));
    } else {
      await hostile(g, label, edge, edgeMcp(mcpBody(it.tool, args)), invalid(it.field, { transport: 'mcp' }));
    }
  });
  // The same on the admin REST API's documents.
  const adminCases = [
    ['POST', '/system/tenants', { tenant_id: 12, name: 'x', subdomain: 'x' }, 'tenant_id'],
    ['POST', '/system/tenants', { tenant_id: 'wrongtype', name: ['x'], subdomain: 'wrongtype' }, 'name'],
    ['POST', '/system/tenants', { tenant_id: 'wrongtype', name: 'x', subdomain: 'wrongtype', config: 'x' }, 'config'],
    ['PATCH', `/system/tenants/${A().id}`, { is_active: 'yes' }, 'is_active'],
    ['PUT', `/system/tenants/${A().id}/config`, { features: { max_daily_budget: 'lots' } }, 'max_daily_budget'],
    ['PUT', `/system/tenants/${A().id}/config`, { rate_limits: { tenant_burst: [] } }, 'tenant_burst'],
    ['PUT', `/system/tenants/${A().id}/config`, { adapters: 'mock' }, 'adapters'],
    ['PUT', `/system/tenants/${A().id}/config`, [], 'body'],
    ['POST', `/system/tenants/${A().id}/principals`, { name: 7 }, 'name'],
    ['POST', `/system/tenants/${A().id}/principals`, { name: 'x', platform_mappings: 'x' }, 'platform_mappings'],
    ['DELETE', `/system/tenants/${ctx.tenants.k.id}`, { confirm_tenant_id: 1 }, 'confirm_tenant_id'],
  ];
  for (const [method, target, body, field] of adminCases) {
    await hostile(g, `admin ${method} ${target} ${field}`, adm, adminRest(method, target, JSON.stringify(body)), all(fourxxJson, (r) => (r.status === 400 && (parseJson(r.body)?.error || '').includes(field === 'body' ? '' : field) ? null : `expected 400 naming ${field}`)));
  }
}

export async function groupOversize(g) {
  const big = Buffer.alloc(1536 * 1024, 'a'); // 1.5 MiB
  const bigJson = Buffer.concat([Buffer.from('{"buying_mode":"brief","brief":"'), big, Buffer.from('"}')]);
  const is413 = all(fourxxJson, (r) => (r.status === 413 ? null : `answered ${r.status}, expected 413`));
  await hostile(g, 'rest get_products 1.5 MiB body', edge, edgeRest('get_products', bigJson), is413);
  await hostile(g, 'rest get_products 1.5 MiB body, no token', edge, edgeRest('get_products', bigJson, []), is413);
  await hostile(g, 'mcp 1.5 MiB body', edge, edgeMcp(bigJson), is413);
  await hostile(g, 'admin create tenant 1.5 MiB body', adm, adminRest('POST', '/system/tenants', bigJson), is413);
  await hostile(g, 'admin create tenant 1.5 MiB body, no token', adm, adminRest('POST', '/system/tenants', bigJson, []), is413);
  await hostile(g, 'ui login 1.5 MiB form', adm, buildRequest({ method: 'POST', target: '/admin/login', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: big }), (r) => (r.status === 413 ? null : `answered ${r.status || describe(r)}, expected 413`));
  const chunked = (payload) => {
    const parts = [];
    for (let i = 0; i < payload.length; i += 65536) {
      const c = payload.subarray(i, i + 65536);
      parts.push(Buffer.from(c.length.toString(16) + '\r\n'), c, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    return Buffer.concat(parts);
  };
  await hostile(g, 'rest get_products 1.5 MiB chunked', edge, buildRequest({ method: 'POST', target: `/tenants/${A().id}/v1/get_products`, headers: [...json, ['x-adcp-auth', A().token], ['Transfer-Encoding', 'chunked']], body: chunked(bigJson) }), is413);
  await hostile(g, 'mcp 1.5 MiB chunked', edge, buildRequest({ method: 'POST', target: `/tenants/${A().id}/mcp`, headers: [...json, ['Transfer-Encoding', 'chunked']], body: chunked(bigJson) }), is413);
  await hostile(g, 'admin 1.5 MiB chunked', adm, buildRequest({ method: 'POST', target: '/system/tenants', headers: [...json, ['X-System-Token', ctx.services.systemToken], ['Transfer-Encoding', 'chunked']], body: chunked(bigJson) }), is413);
  for (const [label, port, target] of [['edge', edge, `/tenants/abusea/v1/get_products`], ['admin', adm, '/system/tenants']]) {
    await hostile(g, `${label} Content-Length 1 TB, 10 bytes sent`, port, buildRequest({ method: 'POST', target, headers: json, body: '{"a":1}   ', contentLength: 1e12 }), is413, { timeoutMs: 5000 });
    await hostile(g, `${label} Content-Length 1 MiB + 1, body sent`, port, buildRequest({ method: 'POST', target, headers: json, body: Buffer.alloc(1048577, ' ') }), is413);
    await hostile(g, `${label} Content-Length 99999999999999999999`, port, buildRequest({ method: 'POST', target, headers: json, body: '', contentLength: '99999999999999999999' }), framing, { timeoutMs: 5000 });
  }
  // Oversize headers and header counts: 431 (or 400) with JSON, never a 5xx.
  const headerish = (r) => (r.status === 0 ? `no response (${describe(r)})` : r.status >= 500 ? `answered ${r.status}` : r.status < 400 ? `answered ${r.status}` : !isJsonResponse(r) ? `answered ${r.status} without a JSON body` : null);
  for (const size of [10000, 100000, 1000000]) {
    const v = 'a'.repeat(size);
    await hostile(g, `edge x-adcp-auth of ${size} bytes`, edge, edgeRest('get_products', '{}', [['x-adcp-auth', v]]), headerish);
    await hostile(g, `edge Cookie of ${size} bytes`, edge, edgeRest('get_products', '{}', [['Cookie', v], ['x-adcp-auth', A().token]]), headerish);
    await hostile(g, `edge Host of ${size} bytes`, edge, buildRequest({ method: 'POST', target: '/v1/get_products', host: v, headers: json, body: '{}' }), headerish);
    await hostile(g, `edge target of ${size} bytes`, edge, buildRequest({ method: 'POST', target: `/tenants/abusea/v1/get_products?${v}`, headers: json, body: '{}' }), headerish);
    await hostile(g, `edge header name of ${size} bytes`, edge, edgeRest('get_products', '{}', [[`X-${v}`, '1']]), headerish);
    await hostile(g, `admin X-System-Token of ${size} bytes`, adm, adminRest('GET', '/system/tenants', '', [['X-System-Token', v]]), headerish);
    await hostile(g, `admin Cookie of ${size} bytes`, adm, buildRequest({ method: 'GET', target: '/admin/tenants', headers: [['Cookie', `adcp_admin_session=${v}`]] }), (r) => (r.status === 0 ? `no response (${describe(r)})` : r.status >= 500 ? `answered ${r.status}` : null));
    await hostile(g, `admin target of ${size} bytes`, adm, buildRequest({ method: 'GET', target: `/system/tenants/${v}`, headers: [['X-System-Token', ctx.services.systemToken]] }), headerish);
  }
  // A long token under the header limit: a malformed token, 401.
  await hostile(g, 'edge x-adcp-auth of 4,000 bytes', edge, edgeRest('get_products', '{}', [['x-adcp-auth', 'a'.repeat(4000)]]), unauthorized());
  await hostile(g, 'edge Authorization Bearer of 4,000 bytes', edge, edgeRest('get_products', '{}', [['Authorization', 'Bearer ' + 'a'.repeat(4000)]]), unauthorized());
  for (const n of [100, 1000, 10000]) {
    const many = Array.from({ length: n }, (_, i) => [`X-Pad-${i}`, 'v']);
    await hostile(g, `edge ${n} headers`, edge, edgeRest('get_products', '{"buying_mode":"wholesale"}', [['x-adcp-auth', A().token], ...many]), n <= 100 ? survives() : headerish);
    await hostile(g, `admin ${n} headers`, adm, adminRest('GET', '/system/tenants', '', [['X-System-Token', ctx.services.systemToken], ...many]), n <= 100 ? survives() : headerish);
    const dup = Array.from({ length: n }, () => ['x-adcp-auth', A().token]);
    await hostile(g, `edge ${n} x-adcp-auth headers`, edge, edgeRest('get_products', '{"buying_mode":"wholesale"}', dup), n <= 100 ? survives() : headerish);
  }
}
