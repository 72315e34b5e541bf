// Abuse groups of issue 19's own cases, and the anonymous flood.
import { buildRequest, pool, send } from '../lib/raw_http.mjs';
import { GENEROUS, admin, buyRequest, call, hex, mcp, sleep } from '../lib/suite.mjs';
import {
  ctx, out, describe, statusKey, parseJson, utf8, hostile, isJsonResponse, survives, mcpError, adcpErrorOf, invalid, unauthorized, badRequestOr429, all, A, edge, adm, mcpBody, json, edgeRest, edgeMcp, breaksHeader,
} from '../lib/harness.mjs';

export async function groupIssueCases(g) {
  const wholesale = '{"buying_mode":"wholesale"}';
  // 1. Bad bytes in x-adcp-auth (no valid token needed).
  await hostile(g, 'case 1: REST x-adcp-auth "a\\tb" (the issue\'s request)', edge, edgeRest('get_products', wholesale, [['x-adcp-auth', 'a\tb']]), unauthorized());
  await hostile(g, 'case 1: MCP x-adcp-auth "a\\tb"', edge, edgeMcp(mcpBody('get_products', { buying_mode: 'wholesale' }), [['x-adcp-auth', 'a\tb']]), unauthorized());
  await hostile(g, 'case 1: Authorization "Bearer a\\tb"', edge, edgeRest('get_products', wholesale, [['Authorization', 'Bearer a\tb']]), unauthorized());
  for (const b of [0x01, 0x7f, 0x80, 0xc3, 0xff]) {
    await hostile(g, `case 1: REST x-adcp-auth byte 0x${b.toString(16)}`, edge, edgeRest('get_products', wholesale, [['x-adcp-auth', Buffer.from([0x61, b, 0x62])]]), unauthorized({ framingOk: breaksHeader(b) }));
  }
  await hostile(g, 'case 1: x-adcp-auth with a space', edge, edgeRest('get_products', wholesale, [['x-adcp-auth', 'a b']]), unauthorized());
  await hostile(g, 'case 1: x-adcp-auth UTF-8 é', edge, edgeRest('get_products', wholesale, [['x-adcp-auth', Buffer.from('t\u00e9st', 'utf8')]]), unauthorized());

  // 2. Nested arrays without a token.
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  await hostile(g, 'case 2: REST 100,000 nested arrays, no token', edge, edgeRest('get_products', deep, []), badRequestOr429);
  await hostile(g, 'case 2: MCP 100,000 nested arrays, no token', edge, edgeMcp(deep, []), mcpError);

  // 4. Failed admin sign-ins must not lock the admin out; a made-up CSRF
  // pair must not sign anyone in.
  const loginForm = (csrf, password) => `_csrf=${csrf}&username=admin&password=${encodeURIComponent(password)}`;
  const forged = hex(16);
  await hostile(g, 'case 4: sign-in with a made-up CSRF cookie/field pair and the right password', adm,
    buildRequest({ method: 'POST', target: '/admin/login', headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Cookie', `adcp_login_csrf=${forged}`]], body: loginForm(forged, ctx.services.adminPassword) }),
    (r) => (r.status === 303 || /adcp_admin_session=[^;]/.test(r.headers?.['set-cookie'] || '') ? 'signed in with a CSRF pair the server never issued' : r.status >= 500 || r.status === 0 ? `answered ${describe(r)}` : null), { timeoutMs: 30000 });
  const failures = Array.from({ length: 8 }, (_, i) => i);
  await pool(failures, 4, async (i) => {
    const c = hex(16);
    await hostile(g, `case 4: failed sign-in ${i + 1} as admin`, adm,
      buildRequest({ method: 'POST', target: '/admin/login', headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Cookie', `adcp_login_csrf=${c}`], ['X-Forwarded-For', `198.51.100.${i}`]], body: loginForm(c, `wrong-${i}`) }),
      (r) => (r.status === 0 ? `no response (${describe(r)})` : r.status >= 500 ? `answered ${r.status}` : r.status === 303 ? 'a wrong password signed in' : null), { timeoutMs: 30000 });
  });
  // The real admin, with a form the server issued: from the browser it
  // signed in with before (its cookies), then from a fresh browser.
  for (const [which, extra] of [['its own browser', ctx.services.browserCookies || []], ['a fresh browser', []]]) {
    const page = await call(`${ctx.services.adminUrl}/admin/login`, { headers: extra.length ? { Cookie: extra.join('; ') } : {} });
    const issued = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    const cookie = /adcp_login_csrf=([^;]+)/.exec(page.headers.get('set-cookie') || '')?.[1];
    const t0 = Date.now();
    const r = await send(adm(), buildRequest({ method: 'POST', target: '/admin/login', headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Cookie', [`adcp_login_csrf=${cookie}`, ...extra].join('; ')]], body: loginForm(issued, ctx.services.adminPassword) }), { timeoutMs: 30000 });
    g.sent++;
    g.count(statusKey(r));
    const label = `case 4: the admin signs in from ${which} after 8 failures by someone else`;
    if (!(r.status === 303 && /adcp_admin_session=[^;]/.test(r.headers['set-cookie'] || ''))) g.fail(label, 'the admin could not sign in', r);
    else if (Date.now() - t0 > 10000) g.fail(label, `signed in only after ${Date.now() - t0} ms`, r);
  }

  // 5. Made-up tokens: 401 with a challenge (or 429 once throttled), and A's
  // buyer is still served.
  const auditBefore = await authFailureRows(A().id);
  const madeUp = Array.from({ length: 200 }, () => `adcp_${hex(24)}`);
  await pool(madeUp, 8, async (tok, i) => {
    const useMcp = i % 2 === 1;
    await hostile(g, `case 5: made-up token ${i + 1} (${useMcp ? 'MCP' : 'REST'})`, edge,
      useMcp ? edgeMcp(mcpBody('get_products', { buying_mode: 'wholesale' }), [['x-adcp-auth', tok]]) : edgeRest('get_products', wholesale, [['x-adcp-auth', tok]]),
      unauthorized());
  });
  const buyer = await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_products', { buying_mode: 'wholesale' });
  if (buyer.status !== 200 || buyer.isError) g.fail('case 5: A\'s buyer after 200 made-up tokens', 'not served', buyer);
  await sleep(1500); // failure audits are written in batches
  const auditAfter = await authFailureRows(A().id);
  if (auditAfter !== null && auditBefore !== null && auditAfter - auditBefore > 20) {
    g.fail('case 5: audit rows for 200 made-up tokens', `${auditAfter - auditBefore} auth_failed rows for 200 attempts from one caller (expected them aggregated: a count per window and caller)`, null);
  }

  // 6. Unbounded and duplicated id lists.
  const buyId = A().buy.media_buy_id;
  const account = buyRequest(A()).account;
  const dupOk = (field) => (r) => {
    // Duplicates are deduplicated (one answer for the id), or refused naming the field.
    if (r.status === 400) return invalid(field)(r);
    if (r.status !== 200) return `answered ${describe(r)}`;
    const body = parseJson(r.body) || {};
    const list = body.media_buys || body.media_buy_deliveries || [];
    return list.length <= 1 ? null : `answered ${list.length} entries for one id sent 5,000 times`;
  };
  for (const task of ['get_media_buy_delivery', 'get_media_buys']) {
    await hostile(g, `case 6: ${task} with 5,000 distinct ids`, edge, edgeRest(task, JSON.stringify({ account, media_buy_ids: Array.from({ length: 5000 }, (_, i) => `mb_${hex(6)}_${i}`) })), invalid('media_buy_ids'));
    await hostile(g, `case 6: ${task} with one id 5,000 times`, edge, edgeRest(task, JSON.stringify({ account, media_buy_ids: Array(5000).fill(buyId) })), dupOk('media_buy_ids'));
    await hostile(g, `case 6: ${task} with 1,000 distinct ids (MCP)`, edge, edgeMcp(mcpBody(task, { account, media_buy_ids: Array.from({ length: 1000 }, (_, i) => `mb_x${i}`) })), invalid('media_buy_ids', { transport: 'mcp' }));
  }
  const creative = { creative_id: 'abuse_c1', name: 'c1', format_id: { id: 'display_300x250', agent_url: 'https://creative.adcontextprotocol.org' }, assets: { image: { url: 'https://cdn.example/a.png', width: 300, height: 250 } } };
  const packageId = A().buy.packages?.[0]?.package_id || 'pkg_1';
  await hostile(g, 'case 6: sync_creatives with 5,000 assignments', edge, edgeRest('sync_creatives', JSON.stringify({ idempotency_key: `abuse-${hex(8)}`, account, creatives: [creative], assignments: Array.from({ length: 5000 }, (_, i) => ({ creative_id: 'abuse_c1', package_id: `pkg_${i}` })) })), invalid('assignments'));
  await hostile(g, 'case 6: sync_creatives with one assignment 5,000 times', edge, edgeRest('sync_creatives', JSON.stringify({ idempotency_key: `abuse-${hex(8)}`, account, creatives: [creative], assignments: Array(5000).fill({ creative_id: 'abuse_c1', package_id: packageId }) })), (r) => (r.status === 200 || r.status === 400 ? (r.status === 400 ? invalid('assignments')(r) : null) : `answered ${describe(r)}`));

  // 7. update_media_buy with end_time 9999-12-31.
  const buyBefore = (await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_media_buys', { account, media_buy_ids: [buyId] })).payload?.media_buys?.[0];
  for (const end of ['9999-12-31T00:00:00Z', '2200-01-01T00:00:00Z']) {
    await hostile(g, `case 7: update_media_buy end_time ${end}`, edge, edgeRest('update_media_buy', JSON.stringify({ idempotency_key: `abuse-${hex(8)}`, account, media_buy_id: buyId, end_time: end })), invalid('end_time'));
    await hostile(g, `case 7: create_media_buy end_time ${end}`, edge, edgeRest('create_media_buy', JSON.stringify(buyRequest(A(), { end: end }))), invalid('end_time'));
  }
  await hostile(g, 'case 7: update_media_buy start_time 0001-01-01', edge, edgeRest('update_media_buy', JSON.stringify({ idempotency_key: `abuse-${hex(8)}`, account, media_buy_id: buyId, start_time: '0001-01-01T00:00:00Z' })), invalid('start_time'));
  const buyAfter = (await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_media_buys', { account, media_buy_ids: [buyId] })).payload?.media_buys?.[0];
  if (buyBefore && buyAfter && JSON.stringify(buyBefore.end_time) !== JSON.stringify(buyAfter.end_time)) {
    g.fail('case 7: the buy after refused updates', `end_time changed from ${buyBefore.end_time} to ${buyAfter.end_time}`, null);
  }

  // 8. javascript: creative URLs, and ad-server error text.
  const urls = ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html;base64,PHNjcmlwdD4=', 'vbscript:msgbox(1)', 'http://cdn.example/plain-http.png', '//cdn.example/x.png'];
  let n = 0;
  for (const url of urls) {
    for (const where of ['click', 'image', 'landing', 'image.click_url']) {
      const image = { url: 'https://cdn.example/a.png', width: 300, height: 250 };
      const assets = where === 'click' ? { image, clickthrough: { url } }
        : where === 'image' ? { image: { ...image, url } }
          : where === 'landing' ? { image, landing_page: { url } }
            : { image: { ...image, click_url: url } };
      const c = { ...creative, creative_id: `abuse_js_${n++}`, assets };
      await hostile(g, `case 8: sync_creatives ${where} url ${JSON.stringify(url)}`, edge, edgeRest('sync_creatives', JSON.stringify({ idempotency_key: `abuse-${hex(8)}`, account, creatives: [c] })), refusedUrl);
    }
  }
  await hostile(g, 'case 8: sync_creatives https urls (control)', edge, edgeRest('sync_creatives', JSON.stringify({ idempotency_key: `abuse-${hex(8)}`, account, creatives: [{ ...creative, creative_id: 'abuse_ok', assets: { image: { url: 'https://cdn.example/a.png', width: 300, height: 250, click_url: 'https://advertiser.example/landing' }, clickthrough: { url: 'https://advertiser.example/landing' } } }] })), (r) => {
    const body = parseJson(r.body) || {};
    const action = body.creatives?.[0]?.action;
    return r.status === 200 && action && action !== 'failed' ? null : `a legitimate creative was refused: ${describe(r)}`;
  });
  // K's ad server (the fake Kevel) fails with a secret text.
  const k = ctx.tenants.k;
  const created = await hostile(g, 'case 8: create_media_buy on a Kevel tenant whose ad server fails', edge, edgeRest('create_media_buy', JSON.stringify(buyRequest(k)), [['x-adcp-auth', k.token]], { tenant: k.id }), (r) => {
    if (r.status === 0) return `no response (${describe(r)})`;
    if (r.body.includes('KEVEL-INTERNAL') || r.body.includes('db-7.kevel.internal')) return 'the ad server\'s error text reached the buyer';
    if (r.status === 200 && (parseJson(r.body)?.ad_server_error || '').includes('KEVEL')) return 'the ad server\'s error text reached the buyer';
    return null;
  });
  for (const task of ['get_media_buys', 'get_media_buy_delivery']) {
    await hostile(g, `case 8: ${task} of the Kevel tenant after the failure`, edge, edgeRest(task, JSON.stringify({ account }), [['x-adcp-auth', k.token]], { tenant: k.id }), (r) => (r.body && (r.body.includes('KEVEL-INTERNAL') || r.body.includes('db-7.kevel')) ? 'the ad server\'s error text reached the buyer' : survives()(r)));
  }
  const kSync = await hostile(g, 'case 8: sync_creatives javascript: on the Kevel tenant', edge, edgeRest('sync_creatives', JSON.stringify({ idempotency_key: `abuse-${hex(8)}`, account, creatives: [{ ...creative, creative_id: 'k_js', assets: { image: { url: 'https://cdn.example/a.png', width: 300, height: 250 }, clickthrough: { url: 'javascript:alert(1)' } } }] }), [['x-adcp-auth', k.token]], { tenant: k.id }), refusedUrl);
  void created;
  void kSync;
  const leaked = ctx.kevel.requests.filter((r) => /javascript:|vbscript:|data:text/i.test(decodeURIComponent(r.url) + r.body));
  if (leaked.length) g.fail('case 8: requests to the ad server', `${leaked.length} request(s) carried a javascript:/data: URL to the ad server, e.g. ${leaked[0].method} ${leaked[0].url} ${leaked[0].body.slice(0, 200)}`, null);
}

// A creative URL refused: 400 naming the creative's field, or the creative
// failed with an error naming it.
function refusedUrl(r) {
  if (r.status === 0) return `no response (${describe(r)})`;
  if (r.status >= 500) return `answered ${r.status}`;
  const body = parseJson(r.body);
  if (!body) return `answered ${r.status} without JSON`;
  if (r.status === 400) return invalid('creatives')(r);
  const c = body.creatives?.[0];
  if (r.status === 200 && c && c.action === 'failed' && (c.errors || []).length) return null;
  return `the URL was accepted (${r.status}, action ${c?.action}, status ${c?.status})`;
}

// auth_failed audit rows of a tenant (all pages), or null if unreadable.
async function authFailureRows(tenantId) {
  let count = 0;
  let token = '';
  for (let page = 0; page < 200; ++page) {
    const r = await admin(ctx.services, 'GET', `/system/tenants/${tenantId}/audit${token ? `?page_token=${encodeURIComponent(token)}` : ''}`);
    if (r.status !== 200 || !r.json) return null;
    for (const e of r.json.events || []) if (/auth/.test(e.operation) && e.success === false) count += Number(e.details?.count) > 1 ? 1 : 1;
    token = r.json.next_page_token;
    if (!token) break;
  }
  return count;
}

// 3. The anonymous flood against A with A's default rate limits: A's buyer
// must still be served (its calls charged only to its own budget).
export async function groupFlood(g) {
  const reset = await admin(ctx.services, 'PUT', `/system/tenants/${A().id}/config`, { rate_limits: null });
  if (reset.status !== 200) g.fail('flood: reset A\'s rate limits to the defaults', `answered ${reset.status}`, reset);
  await sleep(600);
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const body = mcpBody('get_adcp_capabilities', {});
  let stop = false;
  const fire = (localAddress) => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: edge(), localAddress, path: `/tenants/${A().id}/mcp`, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, error: e.code || e.message }));
    req.end(body);
  });
  // 24 connections from 8 client addresses (127.0.0.3-10).
  const workers = Array.from({ length: 24 }, async (_, w) => {
    while (!stop) {
      const r = await fire(ctx.attacker ? `127.0.0.${3 + (w % 8)}` : undefined);
      g.sent++;
      let key = statusKey(r);
      const sc = parseJson(r.body || '')?.result?.structuredContent;
      if (r.status === 200 && sc?.adcp_error) key = `200 ${sc.adcp_error.code}`;
      g.count(`anonymous ${key}`);
      if (r.status === 0 || r.status >= 500) g.fail('flood: anonymous get_adcp_capabilities', `answered ${describe(r)}`, r);
    }
  });
  await sleep(700); // the flood has spent whatever it can
  // Anonymous REST calls in the flood: 200, or 429 with a JSON error.
  for (let i = 0; i < 10; ++i) {
    await hostile(g, `flood: anonymous REST get_adcp_capabilities ${i + 1}`, edge, edgeRest('get_adcp_capabilities', '{}', []), (r) => {
      if (r.status === 200) return null;
      if (r.status !== 429) return `answered ${describe(r)}`;
      return isJsonResponse(r) && adcpErrorOf(r)?.code === 'RATE_LIMITED' ? null : '429 without a JSON RATE_LIMITED error';
    });
  }
  let ok = 0;
  for (let i = 0; i < 20; ++i) {
    const r = await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_products', { buying_mode: 'wholesale' }).catch((e) => ({ status: 0, text: String(e) }));
    g.sent++;
    const code = r.payload?.adcp_error?.code;
    g.count(`A's buyer ${r.status}${code ? ' ' + code : ''}`);
    if (r.status === 200 && !r.isError) ok++;
    else g.fail(`flood: A's buyer get_products ${i + 1} during the anonymous flood`, code === 'RATE_LIMITED' ? 'A\'s buyer was RATE_LIMITED by anonymous traffic' : 'not served', r);
    await sleep(50);
  }
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  const restore = await admin(ctx.services, 'PUT', `/system/tenants/${A().id}/config`, { rate_limits: GENEROUS });
  if (restore.status !== 200) g.fail('flood: restore A\'s rate limits', `answered ${restore.status}`, restore);
  await sleep(300);
}
