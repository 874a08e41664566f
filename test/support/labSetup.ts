// vitest globalSetup for test/integration: brings the lab up (idempotent, fast when already up), then checks it.
// Never skips: when the lab cannot come up, every integration test fails with the reason.
import { spawn } from 'node:child_process';
import { assertLabUp, LAB_SCRIPT, REPO_ROOT } from './lab.js';

const TAIL_LINES = 60;

function labUp(): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [LAB_SCRIPT, 'up'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      process.stderr.write(chunk);
      // Keep only the tail: apt-get and seeding can print a lot.
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolvePromise();
      const tail = output.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
      reject(new Error(`bash scripts/lab.sh up failed (${signal ?? `exit ${code}`}); its last lines:\n${tail}`));
    });
  });
}

export default async function setup(): Promise<void> {
  await labUp();
  await assertLabUp();
}
