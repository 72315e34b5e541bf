// One JSON POST over a keep-alive agent, for the noisy-neighbour scripts:
// resolves {status (0: no answer), body (parsed; {net} on a connection
// error), ms}. Never rejects.
import http from 'node:http';

export function postJson(agent, base, path, headers, request) {
  const body = JSON.stringify(request);
  const t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  return new Promise((resolve) => {
    const req = http.request({
      host: base.hostname, port: Number(base.port), path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let parsed = {};
        try { parsed = JSON.parse(Buffer.concat(chunks).toString()); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, body: parsed, ms: ms() });
      });
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: { net: e.code || e.message }, ms: ms() }));
    req.end(body);
  });
}
