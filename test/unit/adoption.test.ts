// freshen init's verdicts as values (the lab test reads them from a real fleet): the same rules pull and service apply.
import { describe, expect, it } from 'vitest';
import { adoptionRows, repositoriesToAsk, type SeenWorkload } from '../../src/init/adoption.js';
import { inventoryText, playbookText } from '../../src/init/initFiles.js';
import { parse } from 'yaml';

const REG = 'reg.example.org:5000';
const seen = (name: string, image: string, extra: Partial<SeenWorkload> = {}): SeenWorkload => ({
  host: 'h1',
  kind: 'container',
  name,
  image,
  labels: {},
  ...extra,
});

describe('which workloads freshen would manage', () => {
  const workloads = [
    seen('api', `${REG}/team/api:prod`, { labels: { 'com.docker.compose.project': 'shop' } }),
    seen('api.freshen-old', `${REG}/team/api:prod`),
    seen('svc', `${REG}/team/api:prod@sha256:${'a'.repeat(64)}`, { kind: 'service' }),
    seen('once', `${REG}/team/api:prod`, { autoRemove: true }),
    seen('gone', `${REG}/team/gone:prod`),
  ];

  it('asks the registry only about its own repositories, and names why each other workload is left alone', () => {
    expect(repositoriesToAsk([...workloads, seen('x', 'nginx:1')], REG)).toEqual(['team/api', 'team/gone']);
    const rows = adoptionRows(workloads, REG, 'prod', { tags: new Map([['team/api', ['prod', '20261101-0300']]]) });
    expect(rows.map((r) => [r.name, r.managed, r.reason, r.compose])).toEqual([
      ['api', true, 'managed: pull, stop and start replace it', 'shop'],
      ['gone', false, 'the registry has no team/gone:prod', undefined],
      ['once', false, 'auto-removed (--rm): it cannot be parked and restored', undefined],
      // Swarm pins a digest in every service spec by itself: a service is managed by its tag.
      ['svc', true, 'managed: the service step updates it', undefined],
    ]);
  });

  it('cannot tell without the registry, and says so', () => {
    const rows = adoptionRows(workloads.slice(0, 1), REG, 'prod', { unreachable: 'connection refused' });
    expect(rows[0]).toMatchObject({ managed: false, reason: 'cannot tell: the registry did not answer (connection refused)' });
  });
});

describe('the files init writes', () => {
  it('an inventory of the hosts given, as data', () => {
    const text = inventoryText({ registry: REG, rolloutTag: 'prod', hosts: [{ name: 'web1', docker: 'ssh://d@web1' }], command: 'freshen init' });
    expect(parse(text)).toEqual({
      all: { vars: { registry: REG, rollout_tag: 'prod' }, children: { docker_hosts: { hosts: { web1: { docker: { host: 'ssh://d@web1' } } } } } },
    });
  });

  it('a playbook with a build play only when given images, and a play for everyone else only when there is anyone', () => {
    const lone = parse(playbookText({ command: 'x', canary: 'web1', managers: [] })) as Array<{ name: string }>;
    expect(lone.map((play) => play.name)).toEqual(['Canary']);
    const full = parse(
      playbookText({ command: 'x', build: { host: 'b1', root: '../images' }, canary: 'web1', rest: 'docker_hosts:!web1', managers: ['m1'] }),
    ) as Array<{
      name: string;
      hosts: string;
    }>;
    expect(full.map((play) => [play.name, play.hosts])).toEqual([
      ['Rebuild what has gone stale', 'b1'],
      ['Canary', 'web1'],
      ['Everyone else', 'docker_hosts:!web1'],
      ['Swarm services', 'm1'],
    ]);
  });
});
