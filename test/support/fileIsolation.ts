// vitest setupFiles of every project, run before each test file: files run side by side, and what freshen keeps per machine
// user would be shared between them. Each file gets its own, as two control machines would have:
// - the run lock (FRESHEN_LOCK_DIR): a run in one file must not find another file's run holding a host (two unit files ran
//   `freshen run` on the same made-up hosts at once, and one exited 1, "another run holds the host");
// - the guards of hosts on local sockets, kept under XDG_RUNTIME_DIR (src/containers/guardScript.ts): a guard is keyed by
//   the host's name and endpoint, and placing one stops an earlier guard of the same key, so one file's run would stop the
//   guard of another file's live run on the same lab host. (web1's guard runs over SSH, where the base is the sshd's: see
//   web1SshSocket in lab.ts.)
// - the temporary directory (TMPDIR, which os.tmpdir() reads on every call): what a test writes there is removed with the
//   file, so a run of the suite leaves nothing behind in /tmp (thousands of small directories a run, before).
// - what src/ keeps per process: the unit files share a worker's loaded modules (isolate: false in vitest.config.ts), so the
//   secrets a file's runs registered, and the Docker credentials they read, are forgotten when the file ends.
// Removing the directory at the end also ends any guard a killed run of the file left behind.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { forgetDockerCredentials } from '../../src/adapters/dockerCredentials.js';
import { runSecrets } from '../../src/shared/secretText.js';

// The machine's temporary directory, not an earlier file's: a worker that runs several files keeps its environment.
process.env.FRESHEN_TEST_TMPDIR_BASE ??= tmpdir();
const own = mkdtempSync(join(process.env.FRESHEN_TEST_TMPDIR_BASE, 'freshen-file-'));
process.env.FRESHEN_LOCK_DIR = join(own, 'locks');
process.env.XDG_RUNTIME_DIR = join(own, 'run');
mkdirSync(process.env.XDG_RUNTIME_DIR, { mode: 0o700 });
process.env.TMPDIR = join(own, 'tmp');
mkdirSync(process.env.TMPDIR);

afterAll(() => {
  rmSync(own, { recursive: true, force: true });
  runSecrets.clear();
  forgetDockerCredentials();
});
