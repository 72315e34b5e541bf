// HTTP/1.1 over raw TCP sockets (node:net): fetch refuses the bytes, framing
// and sizes the abuse suite sends, so requests are built byte by byte and the
// first response is parsed by hand.
import net from 'node:net';

const CRLF = '\r\n';

// A request as bytes. `headers` is a list of [name, value] (strings or
// Buffers, sent as they are, duplicates allowed). Unless `contentLength` is
// false, a Content-Length matching the body is added (a number sends that
// number instead). `connection` defaults to close.
export function buildRequest({
  method = 'GET',
  target = '/',
  version = 'HTTP/1.1',
  host = '127.0.0.1',
  headers = [],
  body = '',
  contentLength = true,
  connection = 'close',
}) {
  const parts = [];
  const push = (x) => parts.push(Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
  push(`${method} `);
  push(target);
  push(` ${version}${CRLF}`);
  const names = headers.map(([n]) => String(n).toLowerCase());
  if (host !== null && !names.includes('host')) push(`Host: ${host}${CRLF}`);
  for (const [name, value] of headers) {
    push(name);
    push(': ');
    push(value);
    push(CRLF);
  }
  const bodyBuf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  if (contentLength !== false && !names.includes('content-length') &&
      !names.includes('transfer-encoding')) {
    push(`Content-Length: ${contentLength === true ? bodyBuf.length : contentLength}${CRLF}`);
  }
  if (connection && !names.includes('connection')) push(`Connection: ${connection}${CRLF}`);
  push(CRLF);
  parts.push(bodyBuf);
  return Buffer.concat(parts);
}

// Parses the first response in `buf`: null while incomplete. `closed`: the
// peer closed, so a body without a length ends here.
export function parseResponse(buf, closed = false) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) return { status: 0, headers: {}, body: '', bad: lines[0] };
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let rest = buf.subarray(end + 4);
  let body;
  if (/chunked/i.test(headers['transfer-encoding'] || '')) {
    const chunks = [];
    let at = 0;
    for (;;) {
      const eol = rest.indexOf('\r\n', at);
      if (eol < 0) return closed ? { status: +m[1], headers, body: Buffer.concat(chunks).toString('utf8'), truncated: true } : null;
      const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16);
      if (!(size >= 0)) return { status: +m[1], headers, body: '', bad: 'chunk size' };
      if (size === 0) break;
      if (rest.length < eol + 2 + size + 2) return closed ? { status: +m[1], headers, body: Buffer.concat(chunks).toString('utf8'), truncated: true } : null;
      chunks.push(rest.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(chunks);
  } else if ('content-length' in headers) {
    const length = parseInt(headers['content-length'], 10);
    if (rest.length < length) return closed ? { status: +m[1], headers, body: rest.toString('utf8'), truncated: true } : null;
    body = rest.subarray(0, length);
  } else {
    if (!closed) return null;
    body = rest;
  }
  return { status: +m[1], headers, body: body.toString('utf8') };
}

// Sends `bytes` (a Buffer, or a list of Buffers written with `gapMs` between
// them) and resolves with the first response: {status, headers, body, ms}, or
// {status: 0, closed: true} when the server closed without answering, or
// {status: 0, error} on a socket error or the timeout. `localAddress` (e.g.
// 127.0.0.2) makes the request come from another client address.
export function send(port, bytes, { timeoutMs = 15000, gapMs = 0, host = '127.0.0.1', localAddress } = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const chunks = [];
    let done = false;
    const socket = net.connect({ port, host, ...(localAddress ? { localAddress } : {}) });
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      result.ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve(result);
    };
    const timer = setTimeout(() => {
      const parsed = parseResponse(Buffer.concat(chunks), true);
      finish(parsed && parsed.status ? { ...parsed, timedOut: true } : { status: 0, error: 'timeout' });
    }, timeoutMs);
    socket.on('connect', async () => {
      const pieces = Array.isArray(bytes) ? bytes : [bytes];
      for (let i = 0; i < pieces.length && !done && !socket.destroyed; ++i) {
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (!done && !socket.destroyed) socket.write(pieces[i]);
      }
    });
    socket.on('data', (d) => {
      chunks.push(d);
      const parsed = parseResponse(Buffer.concat(chunks), false);
      if (parsed) finish(parsed);
    });
    const onEnd = () => {
      const buf = Buffer.concat(chunks);
      const parsed = buf.length ? parseResponse(buf, true) : null;
      finish(parsed || { status: 0, closed: true, raw: buf.toString('latin1').slice(0, 200) });
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', (e) => {
      const buf = Buffer.concat(chunks);
      const parsed = buf.length ? parseResponse(buf, true) : null;
      finish(parsed || { status: 0, error: e.code || e.message });
    });
  });
}

// Runs `fn` over `items` with at most `limit` at once; results in order.
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}
