// Carries TCP connections to this machine's loopback registries into the swarm's network namespaces. A swarm node's dockerd
// lives in a network namespace of its own, so its 127.0.0.1 is not the lab's: without this, `127.0.0.1:5055/app` would name
// a registry the node cannot reach. A unix socket is a file, not part of a network namespace, so it joins the two sides:
//   node loopback-relay.mjs inside  SOCKET PORT...   (in a node's namespace) listens on 127.0.0.1:PORT, each connection
//                                                    goes to SOCKET with a first line naming the port
//   node loopback-relay.mjs outside SOCKET PORT...   (in the lab's namespace) listens on SOCKET and connects to
//                                                    127.0.0.1:PORT, for the listed ports only
// Nothing leaves 127.0.0.1 on either side. Started and stopped by scripts/lab/swarm.sh.
import { createConnection, createServer } from 'node:net';
import { rmSync } from 'node:fs';

const [mode, socketPath, ...portArgs] = process.argv.slice(2);
const ports = new Set(portArgs.map(Number));
if (!['inside', 'outside'].includes(mode) || !socketPath || ports.size === 0 || [...ports].some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
  console.error('usage: loopback-relay.mjs inside|outside SOCKET PORT...');
  process.exit(2);
}

/** Pipes two sockets both ways; either side's end or error ends both. */
function join(a, b) {
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
  a.pipe(b);
  b.pipe(a);
}

function inside() {
  for (const port of ports) {
    createServer((client) => {
      const upstream = createConnection(socketPath);
      upstream.write(`${port}\n`);
      join(client, upstream);
    })
      .on('error', (error) => {
        console.error(`loopback-relay inside: 127.0.0.1:${port}: ${error.message}`);
        process.exit(1);
      })
      .listen(port, '127.0.0.1');
  }
}

function outside() {
  rmSync(socketPath, { force: true });
  createServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0) {
        if (head.length > 8) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      const port = Number(head.subarray(0, newline).toString('latin1'));
      if (!ports.has(port)) return client.destroy();
      const upstream = createConnection(port, '127.0.0.1');
      const rest = head.subarray(newline + 1);
      if (rest.length > 0) upstream.write(rest);
      join(client, upstream);
      client.resume();
    };
    client.on('data', onData).on('error', () => client.destroy());
  })
    .on('error', (error) => {
      console.error(`loopback-relay outside: ${socketPath}: ${error.message}`);
      process.exit(1);
    })
    .listen(socketPath);
}

if (mode === 'inside') inside();
else outside();
