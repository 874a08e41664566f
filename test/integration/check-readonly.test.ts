// --check writes nothing, proved by recording: every shipped playbook runs in check mode against the lab, with the registry
// behind a recording proxy, every SSH command recorded by the lab sshd (a key of this test's own whose authorized_keys entry
// logs the command before running it), and each Docker engine's own event stream read back afterwards. Allowed: registry
// GET and HEAD; over SSH only gc's dry run and `du`; on the engines only the package probe's throwaway containers (labelled
// org.freshen.throwaway) and pulls by digest. Anything else is a write, and fails the test.
import { execFile } from 'node:child_process';
import { appendFile, chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { LAB_DIR, LAB_HOSTS, LAB_INVENTORY, REGISTRY, REPO_ROOT, labDocker } from '../support/lab.js';
import { startHttpProxy, type HttpProxy } from '../support/faultProxy.js';
import { freshen, tempDir } from './rollout.helpers.js';

const AUTHORIZED_KEYS = join(LAB_DIR, 'ssh/authorized_keys');
const PLAYBOOKS = join(REPO_ROOT, 'playbooks');

let dir: string;
let proxy: HttpProxy;
let inventory: string;
let commandLog: string;
let keyLine: string;
let labGc: { before?: string; command: string; after?: string };

/** Rewrites every SSH identity of the lab inventory to `key`, and sends registry traffic through the proxy. */
function recordingInventory(lab: Record<string, unknown>, key: string, registryUrl: string): Record<string, unknown> {
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'identity_file') (node as Record<string, unknown>)[k] = key;
      else walk(v);
    }
  };
  walk(lab);
  const all = lab.all as { vars: Record<string, unknown> };
  all.vars.registry_url = registryUrl;
  return lab;
}

beforeAll(async () => {
  dir = await tempDir('t-check-readonly-');
  commandLog = join(dir, 'commands.log');
  const recorder = join(dir, 'record.sh');
  await writeFile(recorder, `#!/bin/sh\nprintf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> ${commandLog}\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`);
  await chmod(recorder, 0o755);
  const key = join(dir, 'id_ed25519');
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 't-check-readonly', '-f', key]);
  // Forwarding stays allowed (web1's engine is reached through it); only commands are recorded.
  keyLine = `command="${recorder}" ${(await readFile(`${key}.pub`, 'utf8')).trim()}\n`;
  await appendFile(AUTHORIZED_KEYS, keyLine);
  proxy = await startHttpProxy(REGISTRY);
  const lab = parse(await readFile(LAB_INVENTORY, 'utf8')) as Record<string, unknown>;
  labGc = (lab as { all: { children: { registries: { hosts: { registry1: { registry_gc: typeof labGc } } } } } }).all.children.registries.hosts.registry1
    .registry_gc;
  inventory = join(dir, 'inventory.yml');
  await writeFile(inventory, stringify(recordingInventory(lab, key, `http://${proxy.address}`)));
});

afterAll(async () => {
  await proxy?.close();
  if (keyLine !== undefined) await writeFile(AUTHORIZED_KEYS, (await readFile(AUTHORIZED_KEYS, 'utf8')).replace(keyLine, ''));
});

interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
}

/** What each lab engine reported between `since` and `until` (seconds), read from its own event log. */
async function engineEvents(since: number, until: number): Promise<Array<EngineEvent & { host: string }>> {
  const all: Array<EngineEvent & { host: string }> = [];
  for (const host of LAB_HOSTS) {
    const stream = (await labDocker(host).getEvents({ since, until })) as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    for (const line of text.split('\n').filter(Boolean)) all.push({ ...(JSON.parse(line) as EngineEvent), host });
  }
  return all;
}

/** Events that change something, leaving out the probe's throwaways, pulls, and what the engine does by itself (health checks). */
function writes(events: Array<EngineEvent & { host: string }>): string[] {
  const throwaways = new Set(
    events.filter((e) => e.Type === 'container' && e.Actor.Attributes?.['org.freshen.throwaway'] !== undefined).map((e) => e.Actor.ID),
  );
  return events
    .filter((e) => {
      if (e.Type === 'container') return !throwaways.has(e.Actor.ID) && !/^(exec_(create|start|die)|health_status)/.test(e.Action);
      if (e.Type === 'network') return !throwaways.has(e.Actor.Attributes?.container ?? '');
      if (e.Type === 'image') return e.Action !== 'pull';
      return true;
    })
    .map((e) => `${e.host}: ${e.Type} ${e.Action} ${e.Actor.Attributes?.name ?? e.Actor.ID}`);
}

describe('a check run of every shipped playbook writes nothing', async () => {
  const playbooks = (await readdir(PLAYBOOKS)).filter((f) => f.endsWith('.yml')).sort();

  it('ships playbooks to check', () => {
    expect(playbooks).toEqual(expect.arrayContaining(['demo.yml', 'freshen.yml', 'lab-seed.yml']));
  });

  it('the recorders see a write when there is one', async () => {
    const build1 = labDocker('build1');
    const since = Math.floor(Date.now() / 1000);
    const [image] = await build1.listImages();
    const container = await build1.createContainer({ Image: image!.Id, Cmd: ['true'], name: 't-check-readonly-control' });
    await container.remove();
    const seen = writes(await engineEvents(since, Math.ceil(Date.now() / 1000) + 1));
    expect(seen).toEqual(expect.arrayContaining(['build1: container create t-check-readonly-control', 'build1: container destroy t-check-readonly-control']));
  });

  it.each(playbooks)('%s', async (playbook) => {
    await writeFile(commandLog, '');
    proxy.requests.length = 0;
    const since = Math.floor(Date.now() / 1000);
    const r = await freshen(['run', join(PLAYBOOKS, playbook), '-i', inventory, '--check'], join(dir, 'locks'));
    const until = Math.ceil(Date.now() / 1000) + 1;
    // A check run plans; it may find hosts it cannot plan for (exit 2), but it never crashes or half-applies.
    expect([0, 2], r.stdout + r.stderr).toContain(r.code);
    if (['demo.yml', 'freshen.yml', 'lab-seed.yml'].includes(playbook)) expect(r.code, r.stdout + r.stderr).toBe(0);

    expect(proxy.requests.filter((q) => q.method !== 'GET' && q.method !== 'HEAD')).toEqual([]);
    const commands = (await readFile(commandLog, 'utf8')).split('\n').filter(Boolean);
    for (const written of [labGc.before, labGc.command, labGc.after]) expect(commands).not.toContain(written);
    expect(commands.filter((c) => !/garbage-collect .*--dry-run|--dry-run .*garbage-collect/.test(c) && !/^(cd .* && )?.*\bdu -[cs]b /.test(c))).toEqual([]);
    expect(writes(await engineEvents(since, until))).toEqual([]);
    if (playbook === 'freshen.yml') {
      // The gc play really asked: the registry was read and the dry run went over the recorded session.
      expect(proxy.requests.length).toBeGreaterThan(0);
      expect(commands.some((c) => c.includes('--dry-run'))).toBe(true);
    }
  });
});
