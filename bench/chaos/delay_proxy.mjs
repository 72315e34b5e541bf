// A TCP proxy that ./dev chaos puts between media-buy and PostgreSQL: it
// forwards both ways, and while delaying (SIGUSR1 on, SIGUSR2 off) holds
// every chunk DELAY_MS (50) before passing it on, order kept.
// usage: node delay_proxy.mjs LISTEN_PORT TARGET_PORT
import net from 'node:net';

const [listen, target] = process.argv.slice(2).map(Number);
const delayMs = Number(process.env.DELAY_MS ?? 50);
let delaying = false;
process.on('SIGUSR1', () => { delaying = true; });
process.on('SIGUSR2', () => { delaying = false; });

// Writes chunks to `to` in order, each after the delay in force when it came.
function pipe(from, to) {
  const queue = [];  // {due, chunk}; null chunk: end
  let timer = null;
  const drain = () => {
    timer = null;
    while (queue.length && queue[0].due <= Date.now()) {
      const { chunk } = queue.shift();
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    if (queue.length) timer = setTimeout(drain, queue[0].due - Date.now());
  };
  const push = (chunk) => {
    queue.push({ due: Date.now() + (delaying ? delayMs : 0), chunk });
    if (!timer) drain();
  };
  from.on('data', push);
  from.on('end', () => push(null));
  from.on('error', () => to.destroy());
}

net.createServer((client) => {
  const server = net.connect(target, '127.0.0.1');
  pipe(client, server);
  pipe(server, client);
  server.on('close', () => client.destroy());
  client.on('close', () => server.destroy());
}).listen(listen, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${listen}`));
