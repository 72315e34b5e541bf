// The anonymous flood of tests/abuse/flood.mjs, in its own process so that
// the flood's event loop never delays the measured buyer's calls (a node
// process shares one loop between all its sockets).
//
// Input (environment): FLOOD_URL (the edge, http://host:port), FLOOD_PATH
// (tenant A's MCP path), FLOOD_CONNECTIONS, FLOOD_SOURCES (client addresses
// 127.0.0.3 and up when the edge is 127.0.0.1; 0: the default address),
// FLOOD_MS (how long). Output: one JSON line {sent, seconds, counts,
// cpuSeconds}.
import http from 'node:http';

const url = new URL(process.env.FLOOD_URL);
const floodPath = process.env.FLOOD_PATH;
const connections = Number(process.env.FLOOD_CONNECTIONS || 8);
const sources = Number(process.env.FLOOD_SOURCES ?? 8);
const ms = Number(process.env.FLOOD_MS || 10000);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_adcp_capabilities', arguments: {} } });

function post(localAddress) {
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname, port: Number(url.port), path: floodPath, method: 'POST', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      ...(localAddress ? { localAddress } : {}),
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, error: e.code || e.message }));
    req.end(body);
  });
}

const counts = {};
let sent = 0;
const t0 = Date.now();
const workers = Array.from({ length: connections }, async (_, w) => {
  const from = sources > 0 && url.hostname === '127.0.0.1' ? `127.0.0.${3 + (w % sources)}` : undefined;
  while (Date.now() - t0 < ms) {
    const r = await post(from);
    sent++;
    let key = String(r.status || r.error);
    if (r.status === 200 && r.body.includes('"adcp_error"')) key += ' ' + (/"code":"([A-Z_]+)"/.exec(r.body)?.[1] || 'error');
    counts[key] = (counts[key] || 0) + 1;
  }
});
await Promise.all(workers);
agent.destroy();
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ sent, seconds: (Date.now() - t0) / 1000, counts, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
