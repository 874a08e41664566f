// The lab's Debian mirror on loopback: the lab's Debian image lists http://127.0.0.1:5058/debian and /debian-security,
// so every apt run of the tests stays on this machine.
//   node apt-mirror.mjs serve DIR ADDR            serves DIR; a file it lacks is 404, and it never connects anywhere.
//   node apt-mirror.mjs fill DIR ADDR MAIN SEC    also fetches what it lacks from the real mirrors MAIN (for /debian)
//                                                 and SEC (for /debian-security) and keeps it in DIR.
// `scripts/lab.sh debian-fetch` runs fill while apt in the bootstrapped rootfs does exactly what the tests' apt runs
// will do (update, then download the upgrades); the tests then get serve. Release files are fetched again on every
// fill (they expire); everything else apt asks for is named by its content (pool files, by-hash indexes) or is
// listed with its hash in a Release file, so a kept copy is either right or refused by apt.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';

const [mode, dir, addr, mainUpstream, securityUpstream] = process.argv.slice(2);
const usage = 'usage: node apt-mirror.mjs serve DIR HOST:PORT | fill DIR HOST:PORT MAIN_URL SECURITY_URL';
if (!dir || !addr || (mode !== 'serve' && mode !== 'fill') || (mode === 'fill' && (!mainUpstream || !securityUpstream))) {
  console.error(usage);
  process.exit(2);
}
const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
const upstreams = { debian: mainUpstream, 'debian-security': securityUpstream };
/** Release files, fetched again by every fill even when kept. */
const refetched = /\/dists\/[^/]+\/(InRelease|Release|Release\.gpg)$/;
/** Fills already running, so two requests for one file fetch it once. */
const inFlight = new Map();

/** The kept file's path for a request path, or undefined for anything outside the two archives. */
function keptPath(requestUrl) {
  // Absolute when apt uses fill as its proxy; only the path names the file.
  let path;
  try {
    path = normalize(decodeURIComponent(new URL(requestUrl, 'http://mirror').pathname));
  } catch {
    return undefined;
  }
  const top = path.split('/')[1];
  if (!Object.hasOwn(upstreams, top) || path.includes('\0') || path.endsWith('/')) return undefined;
  return { path, file: join(dir, path), top };
}

function fetchUpstream(url, redirects = 5) {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const request = get(url, { timeout: 60_000 }, (response) => {
      const { statusCode = 0, headers } = response;
      if (statusCode >= 300 && statusCode < 400 && headers.location && redirects > 0) {
        response.resume();
        resolve(fetchUpstream(new URL(headers.location, url).href, redirects - 1));
      } else resolve(response);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} within 60s`)));
    request.on('error', reject);
  });
}

/** Fetches one file from the real mirror into DIR; true when it is now kept, false when upstream has none. */
async function fill({ path, file, top }) {
  const response = await fetchUpstream(upstreams[top].replace(/\/+$/, '') + path.slice(top.length + 1));
  if (response.statusCode !== 200) {
    response.resume();
    if (response.statusCode === 404) {
      await rm(file, { force: true });
      return false;
    }
    throw new Error(`upstream answered ${response.statusCode} for ${path}`);
  }
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.part`;
  try {
    await pipeline(response, createWriteStream(partial));
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return true;
}

/** Release files this fill run has fetched again already. */
const refreshed = new Set();

/** Whether the file is kept now; a fill run fetches what is missing, and each Release file once per run. */
async function ensureKept(kept) {
  const isKept = async () => (await stat(kept.file).catch(() => undefined))?.isFile() ?? false;
  if (mode === 'serve') return isKept();
  const isRelease = refetched.test(kept.path);
  if (isRelease ? refreshed.has(kept.file) : await isKept()) return isKept();
  if (!inFlight.has(kept.file)) {
    const fetching = fill(kept)
      .then((found) => (isRelease && refreshed.add(kept.file), found))
      .finally(() => inFlight.delete(kept.file));
    inFlight.set(kept.file, fetching);
  }
  return inFlight.get(kept.file);
}

const server = createServer(async (request, response) => {
  const kept = keptPath(request.url ?? '/');
  if ((request.method !== 'GET' && request.method !== 'HEAD') || !kept) {
    response.writeHead(kept ? 405 : 404).end();
    return;
  }
  try {
    const present = await ensureKept(kept);
    if (!present) {
      response.writeHead(404).end();
      return;
    }
    const { size } = await stat(kept.file);
    response.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' });
    if (request.method === 'HEAD') response.end();
    else await pipeline(createReadStream(kept.file), response);
  } catch (error) {
    console.error(`apt-mirror: ${kept.path}: ${error.message}`);
    if (!response.headersSent) response.writeHead(502).end();
    else response.destroy();
  }
});
server.listen(port, host, () => console.error(`apt-mirror: ${mode} ${dir} on http://${addr}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
