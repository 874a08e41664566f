// A minimal Docker Engine API on a unix socket for the many-hosts benchmark: it answers what freshen asks of a host that
// runs no managed containers (ping, version, info, empty container and image lists), so a run over hundreds of "hosts"
// measures freshen's own cost per host. Correctness stays with the real lab engines; anything else is a 404 and counted.
import { rm } from 'node:fs/promises';
import http from 'node:http';

export async function startFakeEngine(socket) {
  await rm(socket, { force: true });
  const unknown = new Map();
  const json = (res, body) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.47' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0].replace(/^\/v1\.\d+/, '');
    if (path === '/_ping') return res.end('OK');
    if (path === '/version') return json(res, { Version: '28.5.2', ApiVersion: '1.51', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' });
    if (path === '/info') return json(res, { OSType: 'linux', Architecture: 'x86_64', Name: 'fake', ServerVersion: '28.5.2' });
    if (path === '/containers/json' || path === '/images/json') return json(res, []);
    unknown.set(`${req.method} ${path}`, (unknown.get(`${req.method} ${path}`) ?? 0) + 1);
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: 'not in the fake engine' }));
  });
  await new Promise((resolve) => server.listen(socket, resolve));
  return {
    socket,
    unknown,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
