// A loopback HTTP proxy in front of the lab registry that counts the requests passing through, and the bytes each way:
// requests per repository are what the no-op benchmark reports beside its times, bytes what the rebase benchmark moves.
import http from 'node:http';

/** Starts the proxy on a free 127.0.0.1 port in front of `target` (`host:port`); `requests` grows with every request. */
export async function startCountingProxy(target) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const requests = [];
  const bytes = { sent: 0, received: 0 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const upstream = http.request({ host, port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on('data', (chunk) => (bytes.received += chunk.length));
      answer.pipe(res);
    });
    req.on('data', (chunk) => (bytes.sent += chunk.length));
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${server.address().port}`,
    requests,
    /** Bodies freshen sent to the registry, and the registry's answers to freshen. */
    bytes,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(resolve);
      }),
  };
}
