// Maintenance windows through the CLI against the lab: a rollout play whose window opens in two hours skips its host,
// naming when the window opens, touches nothing on the engine and exits 0; the play without a window beside it runs; --ignore-window
// runs the rollout play anyway. (The clock arithmetic, time zones and DST edges are in test/unit/window.test.ts.)
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAB_CONTAINERS, LAB_INVENTORY, labDocker } from '../support/lab.js';
import { freshen, readReport, tempDir, writePlaybook } from './rollout.helpers.js';

let dir: string;
const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

beforeAll(async () => {
  dir = await tempDir('t-window-');
});

/**
 * The lab's containers on web2 (what the play manages; other files' containers come and go beside it) with their IDs, states
 * and start times: what a skipped rollout must leave exactly as it was.
 */
const web2State = async () =>
  Promise.all(
    (await labDocker('web2').listContainers({ all: true }))
      .filter((c) => LAB_CONTAINERS.some((def) => c.Names.includes(`/${def.name}`)))
      .map(async (c) => {
        const inspected = await labDocker('web2').getContainer(c.Id).inspect();
        return `${c.Names[0]} ${c.Id} ${c.State} ${inspected.State.StartedAt}`;
      }),
  ).then((lines) => lines.sort());

describe('a play outside its maintenance window', () => {
  it('skips its hosts, naming the next opening, changes nothing, and exits 0; the play without a window runs; --ignore-window runs it', async () => {
    const opens = Date.now() + 2 * 3_600_000;
    const playbook = await writePlaybook(
      dir,
      'window.yml',
      [
        // Any play without a window runs at any time; a prune of a repository nobody has is quick and harmless.
        '- name: Tidy',
        '  hosts: web3',
        '  steps: [{ prune: { repositories: [t-window/*] } }]',
        '- name: Roll out',
        '  hosts: web2',
        `  window: { start: "${hhmm(opens)}", end: "${hhmm(opens + 3_600_000)}", time_zone: UTC }`,
        '  steps: [pull, stop, start]',
        '',
      ].join('\n'),
    );
    const before = await web2State();
    expect(before).toHaveLength(LAB_CONTAINERS.length);
    const r = await freshen(['run', playbook, '-i', LAB_INVENTORY, '--json', join(dir, 'closed.json')], join(dir, 'locks'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = await readReport(join(dir, 'closed.json'));
    expect(report.plays[0]!.hosts.web3![0]!.status).toBe('ok');
    const steps = report.plays[1]!.hosts.web2!;
    expect(steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(steps[0]!.reason).toMatch(
      new RegExp(
        `^outside the maintenance window \\(daily ${hhmm(opens)}-${hhmm(opens + 3_600_000)} UTC\\); the next opens \\w{3} \\d{4}-\\d\\d-\\d\\d ${hhmm(opens)} UTC$`,
      ),
    );
    expect(r.stdout + r.stderr).toContain('--ignore-window runs it anyway');
    expect(await web2State()).toEqual(before);

    const anyway = await freshen(['run', playbook, '-i', LAB_INVENTORY, '--ignore-window', '--json', join(dir, 'ignored.json')], join(dir, 'locks'));
    expect(anyway.code, anyway.stdout + anyway.stderr).toBe(0);
    const ran = (await readReport(join(dir, 'ignored.json'))).plays[1]!.hosts.web2!;
    expect(ran.map((s) => s.step)).toEqual(['pull', 'stop', 'start']);
    expect(ran.every((s) => s.status !== 'skipped')).toBe(true);
  }, 120_000);
});
