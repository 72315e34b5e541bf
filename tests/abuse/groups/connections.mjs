// Abuse groups about connections and envelopes: HTTP framing, slow
// clients, MCP batches.
import { admin, buyRequest, call, hex, mcp, sleep } from '../lib/suite.mjs';
import {
  ctx, hostile, survives, framing, mcpError, all, A, edge, adm, json, edgeMcp,
} from '../lib/harness.mjs';

export async function groupFraming(g) {
  const buysBefore = (await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_media_buys', {})).payload?.media_buys?.length;
  const t = `/tenants/${A().id}/v1/get_products`;
  const tok = A().token;
  const raw = (s) => Buffer.from(s, 'latin1');
  const cases = [
    ['CL + TE chunked', `POST ${t} HTTP/1.1\r\nHost: x\r\nx-adcp-auth: ${tok}\r\nContent-Type: application/json\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['TE chunked + CL (reversed order)', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['CL:0 + TE chunked smuggling a second request', `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /tenants/${A().id}/v1/create_media_buy HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['two different Content-Length', `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}`],
    ['Content-Length: 2, 40', `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 40\r\n\r\n{}`],
    ['Content-Length: -1', `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}`],
    ['Content-Length: abc', `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}`],
    ['Content-Length: +2', `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n{}`],
    ['Content-Length: 0x2', `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 0x2\r\n\r\n{}`],
    ['Transfer-Encoding: gzip', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}`],
    ['Transfer-Encoding: chunked, gzip', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['Transfer-Encoding: xchunked', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['Transfer-Encoding with space before colon', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['obs-fold header continuation', `POST ${t} HTTP/1.1\r\nHost: x\r\nx-adcp-auth: ${tok}\r\n folded\r\nContent-Length: 2\r\n\r\n{}`],
    ['chunk size zz', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ['chunk size ffffffffffffffff', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n`],
    ['chunk size -1', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n{}\r\n0\r\n\r\n`],
    ['chunk extension of 100 KB', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;${'e'.repeat(100000)}\r\n{}\r\n0\r\n\r\n`],
    ['chunk without CRLF after data', `POST ${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n`],
    ['header without colon', `POST ${t} HTTP/1.1\r\nHost: x\r\nno colon here\r\nContent-Length: 2\r\n\r\n{}`],
    ['header name with space', `POST ${t} HTTP/1.1\r\nHost: x\r\nx adcp auth: ${tok}\r\nContent-Length: 2\r\n\r\n{}`],
    ['empty header name', `POST ${t} HTTP/1.1\r\nHost: x\r\n: value\r\nContent-Length: 2\r\n\r\n{}`],
    ['request line without version', `POST ${t}\r\nHost: x\r\n\r\n`],
    ['HTTP/9.9', `POST ${t} HTTP/9.9\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['HTTP/0.9 style', `GET /healthz\r\n\r\n`],
    ['HTTP/2 preface', `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`],
    ['lower-case method', `post ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['method with NUL', `PO\x00ST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['method of 10 KB', `${'P'.repeat(10000)} ${t} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['unknown method BREW', `BREW ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['CONNECT', `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`],
    ['absolute-form target', `POST http://abusea.localhost${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['target *', `OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['target with ../', `POST /tenants/../tenants/${A().id}/v1/get_products HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['target %2e%2e', `POST /tenants/%2e%2e/v1/get_products HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['bare LF line endings', `POST ${t} HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}`],
    ['bare CR line endings', `POST ${t} HTTP/1.1\rHost: x\rContent-Length: 2\r\r{}`],
    ['1,000 empty lines first', `${'\r\n'.repeat(1000)}POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`],
    ['no Host header', `POST ${t} HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}`],
    ['two Host headers', `POST /v1/get_products HTTP/1.1\r\nHost: abusea.localhost\r\nHost: abuseb.localhost\r\nContent-Length: 2\r\n\r\n{}`],
    ['body shorter than Content-Length, then close', `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}`],
    ['random binary 4 KB', null],
    ['TLS ClientHello', null],
  ];
  for (const [label, text] of cases) {
    let bytes;
    if (label === 'random binary 4 KB') bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    else if (label === 'TLS ClientHello') bytes = Buffer.from('160301020001000200030300' + '00'.repeat(64), 'hex');
    else bytes = raw(text);
    for (const [svc, port] of [['edge', edge], ['admin', adm]]) {
      const legit = /no Host header|two Host headers|unknown method|absolute-form|target \*|\.\.\/|%2e%2e|1,000 empty|lower-case|HTTP\/0\.9|CONNECT/.test(label);
      const expect = legit ? survives({ closeOk: true }) : label.startsWith('body shorter') ? (r) => (r.status === 0 || r.status === 400 || r.status === 408 ? null : `answered ${r.status}`) : framing;
      await hostile(g, `${svc} ${label}`, port, bytes, (r) => {
        const p = expect(r);
        if (p) return p;
        if (label.includes('smuggling') && r.body && /create_media_buy|idempotency_key/.test(r.body)) return 'the smuggled request was answered';
        return null;
      }, { timeoutMs: label.startsWith('body shorter') ? 3000 : 10000 });
    }
  }
  // The smuggled create_media_buy must not have run: count A's buys.
  const buys = await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_media_buys', {});
  const n = (buys.payload?.media_buys || []).length;
  if (n !== buysBefore) g.fail('after smuggling attempts', `A's buyer has ${n} media buys, had ${buysBefore} before: a smuggled create_media_buy ran`, buys);
}

export async function groupSlowloris(g) {
  const net = await import('node:net');
  const sockets = [];
  const holdMs = 4000;
  const open = (port, first, trickle) => {
    const s = net.connect({ port, host: '127.0.0.1', ...(ctx.attacker ? { localAddress: ctx.attacker } : {}) });
    const rec = { s, closedEarly: false, answered: '' };
    s.on('connect', () => s.write(first));
    s.on('data', (d) => { rec.answered += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { rec.closedEarly = true; });
    rec.timer = setInterval(() => { if (!s.destroyed) s.write(trickle); }, 500);
    sockets.push(rec);
    g.sent++;
  };
  for (let i = 0; i < 300; ++i) {
    open(edge(), `POST /tenants/${A().id}/mcp HTTP/1.1\r\nHost: x\r\n`, 'X-a: b\r\n');
    open(adm(), 'POST /admin/login HTTP/1.1\r\nHost: x\r\n', 'X-a: b\r\n');
  }
  for (let i = 0; i < 100; ++i) {
    open(edge(), `POST /tenants/${A().id}/v1/get_products HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`, ' ');
    open(adm(), `POST /system/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{`, ' ');
  }
  await sleep(300);
  // Meanwhile B's buyer, A's buyer and both health checks are served fast.
  const deadline = Date.now() + holdMs;
  let served = 0;
  while (Date.now() < deadline) {
    const t0 = Date.now();
    const b = await mcp(ctx.services.edgeUrl, ctx.tenants.b.id, ctx.tenants.b.token, 'get_products', { buying_mode: 'wholesale' }, { timeoutMs: 5000 }).catch((e) => ({ status: 0, text: String(e) }));
    const ms = Date.now() - t0;
    if (b.status !== 200 || b.isError) g.fail('B get_products during slowloris', 'B was not served', b);
    else if (ms > 2000) g.fail('B get_products during slowloris', `took ${ms} ms`, b);
    else served++;
    const h = await call(`${ctx.services.adminUrl}/healthz`, { timeoutMs: 5000 }).catch((e) => ({ status: 0, text: String(e) }));
    if (h.status !== 200) g.fail('admin /healthz during slowloris', 'not 200', h);
    const a = await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_products', { buying_mode: 'wholesale' }, { timeoutMs: 5000 }).catch((e) => ({ status: 0, text: String(e) }));
    if (a.status !== 200 || a.isError) g.fail('A get_products during slowloris', 'A was not served', a);
    await sleep(100);
  }
  for (const rec of sockets) {
    clearInterval(rec.timer);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(rec.answered)?.[1];
    g.count(status ? status : rec.closedEarly ? 'closed' : 'held');
    if (status && +status >= 500) g.fail('slow client', `answered ${status}`, { status: +status, body: rec.answered.slice(0, 200) });
    rec.s.destroy();
  }
  g.count(`B served ${served}x`);
}

export async function groupBatch(g) {
  const ping = (id) => ({ jsonrpc: '2.0', id, method: 'ping' });
  const caps = (id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_adcp_capabilities', arguments: {} } });
  const fast = (ms) => (r) => (r.ms > ms ? `took ${Math.round(r.ms)} ms` : null);
  const cases = [
    ['empty array', '[]'],
    ['batch of one ping', JSON.stringify([ping(1)])],
    ['batch of two tools/call', JSON.stringify([caps(1), caps(2)])],
    ['batch of 10,000 tools/call get_adcp_capabilities', JSON.stringify(Array.from({ length: 10000 }, (_, i) => caps(i)))],
    ['batch of 2,000 tools/call get_products', JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'get_products', arguments: { buying_mode: 'wholesale' } } })))],
    ['batch of 100,000 nulls', `[${Array(100000).fill('null').join(',')}]`],
    ['nested batch [[ping]]', JSON.stringify([[ping(1)]])],
    ['nested batch 1,000 deep', '['.repeat(1000) + JSON.stringify(ping(1)) + ']'.repeat(1000)],
    ['batch mixing requests and garbage', JSON.stringify([ping(1), 1, 'x', null, [], {}, caps(2)])],
    ['batch of 5,000 notifications', JSON.stringify(Array.from({ length: 5000 }, () => ({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'get_products', arguments: {} } })))],
    ['duplicate keys', '{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"get_products"}}'],
    ['id object', JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'ping' })],
    ['id array', JSON.stringify({ jsonrpc: '2.0', id: [1], method: 'ping' })],
    ['id 1e400', '{"jsonrpc":"2.0","id":1e400,"method":"ping"}'],
    ['id 1.5', '{"jsonrpc":"2.0","id":1.5,"method":"ping"}'],
    ['id true', '{"jsonrpc":"2.0","id":true,"method":"ping"}'],
    ['id null', '{"jsonrpc":"2.0","id":null,"method":"ping"}'],
    ['id of 100 KB', JSON.stringify({ jsonrpc: '2.0', id: 'i'.repeat(100000), method: 'ping' })],
    ['method 123', '{"jsonrpc":"2.0","id":1,"method":123}'],
    ['method null', '{"jsonrpc":"2.0","id":1,"method":null}'],
    ['method empty', '{"jsonrpc":"2.0","id":1,"method":""}'],
    ['method of 100 KB', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'm'.repeat(100000) })],
    ['tool name of 100 KB', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't'.repeat(100000), arguments: {} } })],
    ['params array', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1,2]}'],
    ['params string', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}'],
    ['arguments array', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_products', arguments: [1] } })],
    ['name number', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 1, arguments: {} } })],
    ['jsonrpc 1.0', JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'ping' })],
    ['no jsonrpc', JSON.stringify({ id: 1, method: 'ping' })],
    ['a JSON-RPC response sent as a request', JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} })],
    ['sandbox-only tool on a non-sandbox tenant', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'comply_test_controller', arguments: { scenario: 'force_media_buy_status' } } })],
    ['a string', '"tools/call"'],
    ['a number', '42'],
    ['null', 'null'],
    ['empty body', ''],
  ];
  for (const [label, body] of cases) {
    const expect = label === 'batch of 5,000 notifications' || label === 'id of 100 KB'
      ? all(survives(), fast(2000))
      : label === 'duplicate keys' ? survives() : all(mcpError, fast(2000));
    await hostile(g, `mcp ${label}`, edge, edgeMcp(body), expect);
    await hostile(g, `mcp ${label}, no token`, edge, edgeMcp(body, []), expect);
  }
  // A notification (no id) of create_media_buy must not create a buy.
  const before = (await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_media_buys', {})).payload?.media_buys?.length;
  await hostile(g, 'mcp notification tools/call create_media_buy', edge, edgeMcp(JSON.stringify({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'create_media_buy', arguments: buyRequest(A()) } })), survives());
  await hostile(g, 'mcp batch of 50 create_media_buy', edge, edgeMcp(JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'create_media_buy', arguments: buyRequest(A()) } })))), mcpError);
  await sleep(200);
  const after = (await mcp(ctx.services.edgeUrl, A().id, A().token, 'get_media_buys', {})).payload?.media_buys?.length;
  if (before !== after) g.fail('mcp notification / batch of create_media_buy', `A's buys went from ${before} to ${after}: a notification or batch ran a task`, null);
}

// The eight cases of the issue.
