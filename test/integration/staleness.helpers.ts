// An image with the real apt and dpkg of the machine the lab runs on (Debian 12), its real package database and its real apt
// index: `apt-get -s upgrade` inside it reports exactly what it reports on the host. No network and no mirror are needed.
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';

/** The shared libraries (and the loader) a binary needs, from ldd. */
async function libraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  return [...stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

/** Writes, into `dir`, a Dockerfile `FROM scratch` and a rootfs with busybox, apt-get, dpkg and the host's dpkg and apt state. */
export async function writeHostAptImage(dir: string): Promise<void> {
  const rootfs = join(dir, 'rootfs');
  const put = async (from: string, to = from) => {
    await mkdir(dirname(join(rootfs, to)), { recursive: true });
    await copyFile(from, join(rootfs, to));
  };
  await put(BUSYBOX, '/bin/busybox');
  // apt checks that the method of every source (http here) exists, even when it only simulates.
  await cp('/usr/lib/apt/methods', join(rootfs, 'usr/lib/apt/methods'), { recursive: true, verbatimSymlinks: true });
  for (const binary of ['/usr/bin/apt-get', '/usr/bin/dpkg', '/usr/lib/apt/methods/http']) {
    await put(binary);
    for (const lib of await libraries(binary)) await put(lib);
  }
  await put('/var/lib/dpkg/status');
  // dpkg's architecture tables, which apt reads at start.
  await cp('/usr/share/dpkg', join(rootfs, 'usr/share/dpkg'), { recursive: true });
  await mkdir(join(rootfs, 'var/lib/dpkg/updates'), { recursive: true });
  await mkdir(join(rootfs, 'var/lib/dpkg/info'), { recursive: true });
  await cp('/var/lib/apt/lists', join(rootfs, 'var/lib/apt/lists'), { recursive: true, filter: (p) => !p.endsWith('/lock') && !p.includes('/partial') });
  await mkdir(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
  await cp('/etc/apt', join(rootfs, 'etc/apt'), { recursive: true });
  await mkdir(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
  await mkdir(join(rootfs, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
  // copyFile follows the symlink /etc/os-release → ../usr/lib/os-release.
  await put('/etc/os-release');
  await writeFile(
    join(dir, 'Dockerfile'),
    ['FROM scratch', 'COPY rootfs /', 'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p -m 1777 /tmp"]', ''].join('\n'),
  );
}

/** What `apt-get -s upgrade` reports on the host: the number of packages it would upgrade. */
export async function hostOutdatedCount(): Promise<number> {
  const { stdout } = await run('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'upgrade'], { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 << 20 });
  return stdout.split('\n').filter((l) => l.startsWith('Inst ')).length;
}
