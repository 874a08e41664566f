import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { pinnedRef, tableTargets } from '../../src/pins/pinTargets.js';
import { applyEdits, lineAt } from '../../src/pins/textEdits.js';
import { pinCommitMessage } from '../../src/pins/commitMessage.js';
import { pinMarkedLines } from '../../src/pins/markerPins.js';
import { pinYaml } from '../../src/pins/yamlPins.js';
import { pinFile, pinFileKind } from '../../src/pins/pinFile.js';
import { pinDockerfile } from '../../src/pins/dockerfilePins.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const targets = tableTargets(
  new Map([
    ['reg.example:5000/team/api', D1],
    ['docker.io/library/redis', D2],
  ]),
);

describe('pinnedRef', () => {
  it('adds the digest beside the tag, replaces an old one, and leaves other repositories and current pins alone', () => {
    expect(pinnedRef('reg.example:5000/team/api:prod', targets)).toBe(`reg.example:5000/team/api:prod@${D1}`);
    expect(pinnedRef(`reg.example:5000/team/api:prod@${D2}`, targets)).toBe(`reg.example:5000/team/api:prod@${D1}`);
    expect(pinnedRef(`reg.example:5000/team/api:prod@${D1}`, targets)).toBeUndefined();
    expect(pinnedRef('redis:7', targets)).toBe(`redis:7@${D2}`);
    expect(pinnedRef('reg.example:5000/team/web:prod', targets)).toBeUndefined();
  });
});

describe('Compose files', () => {
  it('pins managed services in their own quoting, keeps every comment and every other service', () => {
    const text = [
      '# the stack',
      'services:',
      '  api:',
      '    image: reg.example:5000/team/api:prod   # pinned by freshen',
      '    ports: ["8080:80"]',
      '  cache:',
      "    image: 'redis:7'",
      '  web:',
      '    image: "reg.example:5000/team/web:prod"',
      '',
    ].join('\n');
    const result = pinYaml(text, 'compose', targets);
    expect(result.text).toBe(text.replace('team/api:prod ', `team/api:prod@${D1} `).replace("'redis:7'", `'redis:7@${D2}'`));
    expect(result.changes).toEqual([
      { line: 4, from: 'reg.example:5000/team/api:prod', to: `reg.example:5000/team/api:prod@${D1}` },
      { line: 7, from: 'redis:7', to: `redis:7@${D2}` },
    ]);
    expect(result.problems).toEqual([]);
    expect(pinYaml(result.text, 'compose', targets)).toEqual({ text: result.text, changes: [], problems: [] });
  });

  it('leaves a reference built from variables, and a file that is not YAML, as they are, saying where', () => {
    const variables = 'services:\n  api:\n    image: ${REGISTRY:-reg.example:5000}/team/api:prod\n';
    expect(pinYaml(variables, 'compose', targets)).toMatchObject({ text: variables, changes: [], problems: [{ line: 3 }] });
    expect(pinYaml(variables.replace('team/api', 'team/web'), 'compose', targets).problems).toEqual([]);
    const broken = 'services:\n  api:\n    image: [unclosed\n';
    expect(pinYaml(broken, 'compose', targets)).toMatchObject({ text: broken, changes: [], problems: [{ message: expect.stringMatching(/^not valid YAML/) }] });
  });
});

describe('Kubernetes manifests', () => {
  it('pins containers and init containers of every workload kind in a multi-document file, nothing else', () => {
    const text = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'spec:',
      '  template:',
      '    spec:',
      '      initContainers:',
      '        - name: migrate',
      '          image: reg.example:5000/team/api:prod',
      '      containers:',
      '        - {name: api, image: "reg.example:5000/team/api:prod"}',
      '---',
      'kind: CronJob',
      'spec:',
      '  jobTemplate:',
      '    spec:',
      '      template:',
      '        spec:',
      '          containers:',
      '            - image: redis:7',
      '---',
      'kind: ConfigMap',
      'data:',
      '  image: reg.example:5000/team/api:prod',
      '',
    ].join('\n');
    const result = pinYaml(text, 'kubernetes', targets);
    expect(result.changes.map((c) => c.line)).toEqual([8, 10, 19]);
    expect(result.text).toContain(`          image: reg.example:5000/team/api:prod@${D1}\n`);
    expect(result.text).toContain(`image: "reg.example:5000/team/api:prod@${D1}"}`);
    expect(result.text).toContain(`- image: redis:7@${D2}\n`);
    expect(result.text).toContain('  image: reg.example:5000/team/api:prod\n'); // the ConfigMap's data is not an image
    expect(parseAllDocuments(result.text).every((doc) => doc.errors.length === 0)).toBe(true);
  });
});

describe('kustomizations', () => {
  it('sets the digest of a managed images entry: replaced where it has one, added in its indentation where not', () => {
    const text = [
      'resources: [deployment.yaml]',
      'images:',
      '  - name: reg.example:5000/team/api',
      '    newTag: prod # the rollout tag',
      '  - name: cache',
      '    newName: redis',
      `    digest: ${D1}`,
      '  - name: other',
      '',
    ].join('\n');
    const result = pinYaml(text, 'kustomize', targets);
    expect(result.text).toBe(
      [
        'resources: [deployment.yaml]',
        'images:',
        '  - name: reg.example:5000/team/api',
        '    newTag: prod # the rollout tag',
        `    digest: ${D1}`,
        '  - name: cache',
        '    newName: redis',
        `    digest: ${D2}`,
        '  - name: other',
        '',
      ].join('\n'),
    );
    expect(result.changes.map((c) => c.to)).toEqual([`reg.example:5000/team/api@${D1}`, `redis@${D2}`]);
    expect(pinYaml(result.text, 'kustomize', targets).changes).toEqual([]);
  });
});

describe('edits by offset', () => {
  it('keep every byte outside the pinned scalars, whatever surrounds them', () => {
    // Top-level keys must differ before and after: a duplicate key makes the file invalid, and it is then left whole.
    const filler = (key: string) => fc.constantFrom('', '# a comment\n', '\n', `${key}: "keep: me"\n`, '# image: reg.example:5000/team/api:prod\n');
    const style = fc.constantFrom(
      (r: string) => r,
      (r: string) => `"${r}"`,
      (r: string) => `'${r}'`,
    );
    const service = fc.record({ name: fc.stringMatching(/^[a-z]{1,8}$/), managed: fc.boolean(), style, comment: fc.boolean() });
    fc.assert(
      fc.property(
        filler('x-head'),
        fc.uniqueArray(service, { selector: (s) => s.name, minLength: 1, maxLength: 5 }),
        filler('x-tail'),
        (head, services, tail) => {
          const lines = services.map((s) => {
            const ref = s.managed ? 'reg.example:5000/team/api:prod' : `reg.example:5000/team/${s.name}:prod`;
            return `  ${s.name}:\n    image: ${s.style(ref)}${s.comment ? ' # note' : ''}\n`;
          });
          const text = `${head}services:\n${lines.join('')}${tail}`;
          const result = pinYaml(text, 'compose', targets);
          expect(result.changes).toHaveLength(services.filter((s) => s.managed).length);
          // Taking the digests out again gives back the original, byte for byte.
          expect(result.text.replaceAll(`@${D1}`, '')).toBe(text);
        },
      ),
    );
  });

  it('apply in any order, refuse overlaps, and count lines from 1', () => {
    expect(
      applyEdits('abcdef', [
        { start: 4, end: 5, text: 'E' },
        { start: 0, end: 1, text: 'A' },
      ]),
    ).toBe('AbcdEf');
    expect(() =>
      applyEdits('abcdef', [
        { start: 0, end: 3, text: '' },
        { start: 2, end: 4, text: '' },
      ]),
    ).toThrow(/overlapping/);
    expect([lineAt('a\nb\nc', 0), lineAt('a\nb\nc', 2), lineAt('a\nb\nc', 4)]).toEqual([1, 2, 3]);
  });
});

describe('lines marked # freshen: REPO', () => {
  it('pins every reference to the marked repository on that line, and says where a marked line holds none', () => {
    const text = [
      'API_IMAGE=reg.example:5000/team/api:prod  # freshen: reg.example:5000/team/api',
      'OTHER=reg.example:5000/team/api:prod',
      `ARGS="--from redis:7@${D1} --to redis:7" # freshen: redis`,
      'NOTHING=here # freshen: redis',
      'UNMANAGED=reg.example:5000/team/web:prod # freshen: reg.example:5000/team/web',
      '',
    ].join('\n');
    const result = pinMarkedLines(text, targets);
    expect(result.text.split('\n')).toEqual([
      `API_IMAGE=reg.example:5000/team/api:prod@${D1}  # freshen: reg.example:5000/team/api`,
      'OTHER=reg.example:5000/team/api:prod',
      `ARGS="--from redis:7@${D2} --to redis:7@${D2}" # freshen: redis`,
      'NOTHING=here # freshen: redis',
      'UNMANAGED=reg.example:5000/team/web:prod # freshen: reg.example:5000/team/web',
      '',
    ]);
    expect(result.changes.map((c) => c.line)).toEqual([1, 3, 3]);
    expect(result.problems).toEqual([{ line: 4, message: 'marked for redis, but the line holds no reference to it; left as it is' }]);
    expect(pinMarkedLines(result.text, targets).changes).toEqual([]);
  });
});

describe('the commit message', () => {
  it('names each repository with old and new digest, why, the packages, the SBOM, where it runs and the files', () => {
    const packages = Array.from({ length: 32 }, (_, i) => `pkg${i} 1.${i} → 1.${i + 1}`);
    const message = pinCommitMessage([
      {
        repository: 'reg.example:5000/team/api',
        from: D2,
        to: D1,
        dateTag: 'reg.example:5000/team/api:20261207-0300',
        reasons: ['base changed (debian:12)', '3 packages outdated'],
        packages,
        sbom: `sha256:${'3'.repeat(64)}`,
        rolledOutTo: ['web1', 'web2'],
        files: ['compose.yml:4', 'k8s/api.yaml:19'],
      },
      { repository: 'docker.io/library/redis', to: D2, reasons: [], packages: [], rolledOutTo: [], files: ['compose.yml:7'] },
    ]);
    const lines = message.split('\n');
    expect(lines[0]).toBe('Pin 2 images: team/api, library/redis');
    expect(lines[1]).toBe('');
    expect(message).toContain(
      `reg.example:5000/team/api: ${'2'.repeat(12)} → ${'1'.repeat(12)} (reg.example:5000/team/api:20261207-0300)\n  why: base changed (debian:12); 3 packages outdated\n  packages (32):\n    pkg0 1.0 → 1.1\n`,
    );
    expect(message).toContain('    pkg29 1.29 → 1.30\n    … and 2 more (see the SBOM)\n');
    expect(message).toContain('  runs on: web1, web2\n  files: compose.yml:4, k8s/api.yaml:19\n');
    expect(message).toContain(`docker.io/library/redis: by tag → ${'2'.repeat(12)}\n  runs on: no host yet\n  files: compose.yml:7\n`);
  });
});

describe('targets by tag', () => {
  const staged = tableTargets(
    new Map([
      ['reg.example:5000/team/api:prod', D1],
      ['reg.example:5000/team/api:canary', D2],
    ]),
  );

  it('pin each reference to the build its own tag names; one that follows no tag only when its repository has one build', () => {
    expect(pinnedRef('reg.example:5000/team/api:prod', staged)).toBe(`reg.example:5000/team/api:prod@${D1}`);
    expect(pinnedRef(`reg.example:5000/team/api:canary@${D1}`, staged)).toBe(`reg.example:5000/team/api:canary@${D2}`);
    expect(pinnedRef(`reg.example:5000/team/api@${D1}`, staged)).toBeUndefined();
    expect(pinnedRef('reg.example:5000/team/api:old', staged)).toBeUndefined();
    expect(pinnedRef(`reg.example:5000/team/api@${D2}`, tableTargets(new Map([['reg.example:5000/team/api:prod', D1]])))).toBe(
      `reg.example:5000/team/api@${D1}`,
    );
  });

  it('say where a kustomization entry follows no tag they can tell', () => {
    const text = 'images:\n  - name: reg.example:5000/team/api\n';
    expect(pinYaml(text, 'kustomize', staged)).toEqual({
      text,
      changes: [],
      problems: [{ line: 2, message: 'the images entry of reg.example:5000/team/api names no tag freshen pins (give it newTag); left as it is' }],
    });
  });
});

describe('which reading a file gets', () => {
  it.each([
    ['k8s/kustomization.yaml', 'kustomize'],
    ['compose.yaml', 'compose'],
    ['deploy/docker-compose.prod.yml', 'compose'],
    ['compose.override.yml', 'compose'],
    ['k8s/api.yaml', 'kubernetes'],
    ['.env', 'marked'],
    ['images/team/api/Dockerfile', 'dockerfile'],
    ['Dockerfile.dev', 'dockerfile'],
    ['api.Dockerfile', 'dockerfile'],
    ['Containerfile', 'dockerfile'],
    ['Dockerfile-notes.txt', 'marked'],
  ])('%s: %s', (path, kind) => {
    expect(pinFileKind(path)).toBe(kind);
  });

  it('a YAML file that does not parse is left whole, its marked lines too', () => {
    const text = `services: [unclosed\nAPI=reg.example:5000/team/api:prod # freshen: reg.example:5000/team/api\n`;
    const result = pinFile('compose.yaml', text, targets);
    expect(result.text).toBe(text);
    expect(result.problems).toMatchObject([{ line: 2, wholeFile: true }]);
    expect(pinFile('app.env', text, targets).changes).toHaveLength(1);
  });
});

describe('Dockerfiles', () => {
  it('pin each FROM of a target beside its tag, keep flags and stage names, and report one built from build arguments', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'ARG REGISTRY=reg.example:5000',
      'FROM --platform=linux/amd64 reg.example:5000/team/api:prod AS build',
      'FROM ${REGISTRY}/team/api:prod',
      `FROM redis:7@${D1}`,
      'FROM reg.example:5000/team/web:prod',
      'RUN echo FROM reg.example:5000/team/api:prod',
      '',
    ].join('\n');
    const result = pinDockerfile(text, targets);
    expect(result.text.split('\n')).toEqual([
      '# syntax=docker/dockerfile:1',
      'ARG REGISTRY=reg.example:5000',
      `FROM --platform=linux/amd64 reg.example:5000/team/api:prod@${D1} AS build`,
      'FROM ${REGISTRY}/team/api:prod',
      `FROM redis:7@${D2}`,
      'FROM reg.example:5000/team/web:prod',
      'RUN echo FROM reg.example:5000/team/api:prod',
      '',
    ]);
    expect(result.changes.map((c) => c.line)).toEqual([3, 5]);
    expect(result.problems).toEqual([{ line: 4, message: 'FROM ${REGISTRY}/team/api:prod is built from build arguments; left as it is' }]);
    expect(pinDockerfile(result.text, targets).changes).toEqual([]);
  });
});

describe('Helm values', () => {
  it('set the digest of the image maps at the paths named: filled, added in their indentation, or left with a reason', () => {
    const text = [
      'image:',
      '  repository: reg.example:5000/team/api',
      '  tag: prod',
      '  digest: "" # set by freshen',
      'worker:',
      '  image:',
      '    registry: reg.example:5000',
      '    repository: team/api',
      '    tag: prod',
      '    pullPolicy: IfNotPresent',
      'cache:',
      '  image: { repository: redis, tag: "7" }',
      '',
    ].join('\n');
    const result = pinYaml(text, 'helm', targets, ['image', 'worker.image', 'cache.image', 'missing']);
    expect(result.text.split('\n')).toEqual([
      'image:',
      '  repository: reg.example:5000/team/api',
      '  tag: prod',
      `  digest: "${D1}" # set by freshen`,
      'worker:',
      '  image:',
      '    registry: reg.example:5000',
      '    repository: team/api',
      '    tag: prod',
      '    pullPolicy: IfNotPresent',
      `    digest: ${D1}`,
      'cache:',
      '  image: { repository: redis, tag: "7" }',
      '',
    ]);
    expect(result.changes.map((c) => [c.line, c.to])).toEqual([
      [4, `reg.example:5000/team/api@${D1}`],
      [7, `reg.example:5000/team/api@${D1}`],
    ]);
    expect(result.problems).toEqual([
      { line: 12, message: 'the image at cache.image (redis) is a flow mapping; left as it is' },
      { line: 1, message: 'no image map with a repository at missing; left as it is' },
    ]);
    expect(pinYaml(result.text, 'helm', targets, ['image', 'worker.image']).changes).toEqual([]);
  });
});
