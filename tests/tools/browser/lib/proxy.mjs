// @ts-check
// A TCP proxy in front of the gateway for one person's browser: `drop()` cuts every connection
// through it and refuses new ones, as a network that goes away does; `restore()` lets them through.
import net from 'node:net';

/** @param {URL} target */
export async function startProxy(target) {
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  let refusing = false;

  const server = net.createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }

    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {net.AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    drop() {
      refusing = true;
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
    },
    restore() {
      refusing = false;
    },
    close() {
      this.drop();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
