import { describe, expect, it } from 'vitest';
import type { Playbook } from '../../src/model/playbook.js';
import type { RunReport, StepRecord } from '../../src/runner/report.js';
import { stepRecordOf } from '../support/stepRecords.js';
import { fleetStatus, referencesOf, type RepositoryBuilds } from '../../src/status/fleetStatus.js';
import { statusPlaybook } from '../../src/status/statusPlaybook.js';
import { statusHtml } from '../../src/ui/statusHtml.js';
import { statusLines } from '../../src/ui/statusTable.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const step = stepRecordOf;
const APP = 'reg:5000/team/app:prod';
const report: RunReport = {
  check: true,
  interrupted: false,
  recap: {},
  plays: [
    {
      name: 'build',
      hosts: {
        build1: [
          step({
            step: 'discover',
            status: 'ok',
            details: {
              images: [
                {
                  repository: 'team/app',
                  ref: APP,
                  stale: true,
                  reasons: ['packages-outdated'],
                  explanations: ['3 updates'],
                  packages: { manager: 'apt', outdated: 3, list: ['a 1 → 2', 'b 1 → 2', 'c 1 → 2'] },
                },
              ],
            },
          }),
        ],
      },
    },
    {
      name: 'roll out',
      hosts: {
        web1: [
          step({
            step: 'pull',
            status: 'changed',
            diff: [{ container: 'app', ref: APP, before: D('1'), after: D('2'), replace: true }],
            // The sentences are for people: status lists what the details say.
            notes: [
              'sidecar is left alone: labelled freshen.enable=false.',
              'old.freshen-old is parked, left by an interrupted run; the next start settles it.',
            ],
            details: {
              unmanaged: [{ name: 'tool', image: 'reg:5000/team/tool@sha256:abc' }],
              left_alone: [{ name: 'sidecar', reason: 'labelled freshen.enable=false' }],
            },
          }),
        ],
        web2: [step({ step: 'pull', status: 'unreachable', reason: 'cannot reach the engine of web2: connect ECONNREFUSED\nmore' })],
        mgr1: [step({ step: 'service', status: 'ok', diff: [{ container: 'service api', ref: APP, before: D('2'), after: D('2'), replace: false }] })],
      },
    },
  ],
};
const builds = new Map<string, RepositoryBuilds>([
  [
    APP,
    {
      prodDigest: D('2'),
      prodChanges: { against: '20261101-0300', lines: ['perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2'] },
      builds: [
        { tag: '20261130-0300', digest: D('2'), time: Date.parse('2026-11-30T03:00:00Z') },
        { tag: '20261101-0300', digest: D('1'), time: Date.parse('2026-11-01T03:00:00Z') },
      ],
    },
  ],
]);

describe('fleetStatus', () => {
  const status = fleetStatus(report, builds, Date.parse('2026-12-01T12:00:00Z'));

  it('maps what runs to datestamp builds, marks what is behind, and keeps unreachable hosts and notes', () => {
    expect(referencesOf(report)).toEqual([APP]);
    expect(status.images).toEqual([
      {
        ref: APP,
        repository: 'team/app',
        stale: true,
        reasons: ['packages-outdated'],
        explanations: ['3 updates'],
        pending_packages: 3,
        prod: { digest: D('2'), build: '20261130-0300', age_days: 1 },
        builds: [
          { tag: '20261130-0300', digest: D('2') },
          { tag: '20261101-0300', digest: D('1') },
        ],
        changes: { against: '20261101-0300', lines: ['perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2'] },
      },
    ]);
    expect(status.hosts).toEqual([
      {
        host: 'web1',
        state: 'ok',
        containers: [{ name: 'app', ref: APP, digest: D('1'), build: '20261101-0300', behind: true }],
        services: [],
        notes: [
          'sidecar is left alone: labelled freshen.enable=false.',
          'tool runs reg:5000/team/tool@sha256:abc, not managed (not the rollout tag, or pinned by digest).',
        ],
      },
      {
        host: 'web2',
        state: 'unreachable',
        reason: 'pull: cannot reach the engine of web2: connect ECONNREFUSED\nmore',
        containers: [],
        services: [],
        notes: [],
      },
      { host: 'mgr1', state: 'ok', containers: [], services: [{ name: 'api', ref: APP, digest: D('2'), build: '20261130-0300', behind: false }], notes: [] },
    ]);
  });

  it("lists a host's parked leftovers from pull's details, whatever its notes say", () => {
    const pulled = (details: StepRecord['details'], notes: string[] = []) =>
      fleetStatus({ ...report, plays: [{ name: 'x', hosts: { web3: [step({ step: 'pull', status: 'ok', notes, details })] } }] }, builds, 0).hosts[0]!.notes;
    expect(pulled({ parked: ['app.freshen-old'] })).toEqual(['app.freshen-old is parked, left by an interrupted run; the next start settles it.']);
    expect(pulled(undefined, ['app.freshen-old is parked, left by an interrupted run; the next start settles it.'])).toEqual([]);
  });

  it('the table and the page say the same, and the page escapes what it shows', () => {
    const lines = statusLines(status).join('\n');
    expect(lines).toMatch(/reg:5000\/team\/app:prod +20261130-0300 +1d +2 +stale: packages-outdated \(3 package updates pending\)/);
    expect(lines).toMatch(/web1 +app +reg:5000\/team\/app:prod +20261101-0300 {2}BEHIND/);
    expect(lines).toMatch(/web2 +- +- +UNREACHABLE: pull: cannot reach the engine of web2: connect ECONNREFUSED$/m);
    expect(lines).toContain('1 images, 1 stale; 3 hosts, 1 behind (web1), 1 unreachable or failing');
    expect(lines).toContain('reg:5000/team/app:prod 20261130-0300 changed against 20261101-0300:\n  perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2');
    expect(statusHtml(status)).toContain('changed against 20261101-0300: perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2');
    const hostile = fleetStatus({ ...report, plays: [{ name: 'x', hosts: { '<b>web9</b>': report.plays[1]!.hosts.web1! } }] }, builds, 0);
    const page = statusHtml(hostile);
    expect(page).toContain('&lt;b&gt;web9&lt;/b&gt;');
    expect(page).not.toContain('<b>web9</b>');
    expect(page).toContain('class="behind"');
  });
});

describe('statusPlaybook', () => {
  it('keeps only the planning steps, drops plays without any, and takes off batches, pauses and windows', () => {
    const playbook: Playbook = {
      file: 'p.yml',
      dir: '.',
      plays: [
        {
          name: 'b',
          hosts: 'builders',
          vars: {},
          steps: ['discover', 'rebuild', 'push'].map((kind, index) => ({ kind: kind as 'discover', options: {}, index })),
        },
        {
          name: 'r',
          hosts: 'web',
          vars: {},
          serial: [1],
          pause: '10s',
          window: [{ days: ['mon'], start: 0, end: 60, timeZone: 'UTC' }],
          steps: ['pull', 'stop', 'start'].map((kind, index) => ({ kind: kind as 'pull', options: {}, index })),
        },
        { name: 'gc', hosts: 'registries', vars: {}, steps: [{ kind: 'gc', options: {}, index: 0 }] },
      ],
    };
    const derived = statusPlaybook(playbook);
    expect(derived.plays.map((p) => [p.name, p.steps.map((s) => s.kind)])).toEqual([
      ['b', ['discover']],
      ['r', ['pull']],
    ]);
    expect(derived.plays[1]).not.toHaveProperty('serial');
    expect(derived.plays[1]).not.toHaveProperty('window');
    // A play whose every host fails does not stop the status run: the container hosts are still asked.
    expect(derived.plays.map((p) => p.max_fail_percentage)).toEqual([100, 100]);
  });
});

describe('fleetStatus of a builder that could not be asked', () => {
  it('lists the builder with the failing step and its reason, beside the hosts that answered', () => {
    const outage: RunReport = {
      ...report,
      plays: [
        { name: 'build', hosts: { build1: [step({ step: 'discover', status: 'failed', reason: 'the registry at 127.0.0.1:5055 refused the connection' })] } },
        report.plays[1]!,
      ],
    };
    const status = fleetStatus(outage, builds, Date.parse('2026-12-01T12:00:00Z'));
    expect(status.images).toEqual([]);
    expect(status.hosts[0]).toEqual({
      host: 'build1',
      state: 'failed',
      reason: 'discover: the registry at 127.0.0.1:5055 refused the connection',
      containers: [],
      services: [],
      notes: [],
    });
    expect(statusLines(status).at(-1)).toBe('0 images, 0 stale; 4 hosts, 1 behind (web1), 2 unreachable or failing');
  });
});

describe('fleetStatus of a playbook that promotes between stages', () => {
  const promoted: RunReport = {
    ...report,
    plays: [
      ...report.plays,
      {
        name: 'promote',
        hosts: {
          registry1: [
            step({
              step: 'promote',
              status: 'ok',
              details: {
                promotions: [
                  {
                    repository: 'team/app',
                    from: 'canary',
                    to: 'prod',
                    build: D('5'),
                    next_build: D('2'),
                    action: 'wait',
                    reason: 'soaking on canary until 2026-12-02T08:00:00.000Z (20h to go)',
                    eligible_at: '2026-12-02T08:00:00.000Z',
                    hosts: [
                      { host: 'web1', since: '2026-12-01T08:00:00.000Z' },
                      { host: 'web3', since: '2026-12-01T07:00:00.000Z' },
                    ],
                  },
                  {
                    repository: 'team/api',
                    from: 'canary',
                    to: 'prod',
                    build: D('7'),
                    action: 'hold',
                    reason: 'rolled back on web1: never promoted',
                    hosts: [{ host: 'web1' }],
                  },
                ],
              },
            }),
          ],
        },
      },
    ],
  };

  it("lists each stage's build, since when every host runs it, and when the next stage gets it, in the table and on the page", () => {
    const status = fleetStatus(promoted, builds, Date.parse('2026-12-01T12:00:00Z'));
    expect(status.stages).toEqual([
      {
        repository: 'team/app',
        stage: 'canary',
        next: 'prod',
        build: D('5'),
        next_build: D('2'),
        since: '2026-12-01T08:00:00.000Z',
        action: 'wait',
        reason: 'soaking on canary until 2026-12-02T08:00:00.000Z (20h to go)',
        eligible_at: '2026-12-02T08:00:00.000Z',
      },
      { repository: 'team/api', stage: 'canary', next: 'prod', build: D('7'), action: 'hold', reason: 'rolled back on web1: never promoted' },
    ]);
    // The registry host is not a container host: promote's record adds no host row.
    expect(status.hosts.map((h) => h.host)).not.toContain('registry1');
    const lines = statusLines(status);
    expect(lines).toContainEqual(
      expect.stringMatching(/^team\/app +canary +555555555555 +2026-12-01T08:00:00\.000Z +prod +eligible at 2026-12-02T08:00:00\.000Z$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^team\/api +canary +777777777777 +- +prod +held: rolled back on web1: never promoted$/));
    const page = statusHtml(status);
    expect(page).toContain('<h2>Stages</h2>');
    expect(page).toContain('eligible at 2026-12-02T08:00:00.000Z');
    expect(fleetStatus(report, builds, 0).stages).toBeUndefined();
    expect(
      statusPlaybook({ file: 'p.yml', dir: '.', plays: [{ name: 'p', hosts: 'registries', vars: {}, steps: [{ kind: 'promote', options: {}, index: 0 }] }] })
        .plays,
    ).toHaveLength(1);
  });
});
