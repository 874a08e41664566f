// What steps report for machines is typed (src/model/stepDetails.ts) and described by the report schema, kind by kind: each
// fixture below is typed as the model's shape, so a field the code drops or renames fails to compile here, and the schema must
// take it, refuse it on another kind, and refuse a field it does not describe.
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { discoverDetails } from '../../src/images/imageSentences.js';
import type { ManagedImage } from '../../src/images/managedImage.js';
import type { StepKind } from '../../src/model/playbook.js';
import {
  promotionsIn,
  pullFindingsIn,
  rebuildFindingsIn,
  verdictsIn,
  type PatchDetails,
  type PromoteDetails,
  type PullDetails,
  type RebaseDetails,
  type RebuildDetails,
  type StepDetails,
} from '../../src/model/stepDetails.js';
import { stepRecordOf } from '../support/stepRecords.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8')) as { $defs: Record<string, object> };
const ajv = new Ajv2020.default({ allErrors: true, strict: true, validateFormats: false });
ajv.addSchema(schema, 'report');
const validStep = ajv.compile<unknown>({ $ref: 'report#/$defs/step' });

const image = (over: Partial<ManagedImage>): ManagedImage => ({
  repository: 'team/app',
  dir: '/tree/team/app',
  ref: 'reg:5000/team/app:prod',
  tag: 'prod',
  bases: ['reg:5000/os/debian:prod'],
  dependsOn: [],
  contextDigest: 'sha256:0',
  stale: true,
  reasons: ['packages-outdated'],
  explanations: ['2 packages have updates'],
  ...over,
});

const DETAILS: Array<[StepKind, StepDetails]> = [
  [
    'discover',
    discoverDetails([
      image({
        finalBase: 'reg:5000/os/debian:prod',
        packages: { ok: true, manager: 'apt', os: 'Debian 12', outdated: [{ name: 'libc6', installed: '1', available: '2' }] },
      }),
      image({
        repository: 'team/tool',
        ref: 'reg:5000/team/tool:prod',
        stale: false,
        reasons: [],
        explanations: [],
        packages: { ok: false, problem: 'no package manager' },
      }),
    ]),
  ],
  [
    'patch',
    {
      images: [
        {
          repository: 'os/debian',
          ref: 'reg:5000/os/debian:prod',
          from: 'debian:bookworm',
          upstream: 'sha256:1',
          stale: true,
          reasons: ['packages-outdated'],
          explanations: ['3 packages'],
          packages: { outdated: 3 },
        },
      ],
    } satisfies PatchDetails,
  ],
  [
    'rebuild',
    {
      rebuilt: ['reg:5000/team/app:prod'],
      identical: ['reg:5000/team/tool:prod'],
      changes: { 'reg:5000/team/app:prod': { changed: [{ name: 'libc6', from: '1', to: '2' }], added: [{ name: 'x', version: '1' }], removed: [] } },
    } satisfies RebuildDetails,
  ],
  [
    'pull',
    {
      unmanaged: [{ name: 'tool', image: 'reg:5000/team/tool@sha256:abc' }],
      left_alone: [{ name: 'sidecar', reason: 'labelled freshen.enable=false' }],
      parked: ['app.freshen-old'],
    } satisfies PullDetails,
  ],
  [
    'promote',
    {
      promotions: [
        {
          repository: 'team/app',
          from: 'canary',
          to: 'prod',
          build: 'sha256:1',
          next_build: 'sha256:0',
          action: 'wait',
          reason: 'soaking on canary until 2026-12-08T10:00:00.000Z (20h to go)',
          eligible_at: '2026-12-08T10:00:00.000Z',
          hosts: [{ host: 'web1', since: '2026-12-07T10:00:00.000Z' }, { host: 'web2' }],
        },
      ],
    } satisfies PromoteDetails,
  ],
  [
    'rebase',
    {
      rebases: [
        {
          repository: 'team/app',
          action: 'rebase',
          reason: 'only its base reg:5000/os/debian:prod changed, and its own layers do not touch what changed',
          base: 'reg:5000/os/debian:prod',
          from: 'sha256:1',
          date_ref: 'reg:5000/team/app:20261207-2100',
          to: 'sha256:2',
          layers: { old_base: 2, new_base: 2, own: 1 },
          changes: { changed: [{ name: 'zlib1g', from: '1', to: '2' }], added: [], removed: [] },
        },
        { repository: 'team/tool', action: 'refused', reason: 'its own layers touch the package database: /var/lib/dpkg/status' },
      ],
    } satisfies RebaseDetails,
  ],
];

const valid = (step: StepKind, details: unknown): boolean => validStep(stepRecordOf({ step, status: 'ok', details: details as StepDetails }));

describe("each kind's details", () => {
  it.each(DETAILS)('%s: the schema takes them', (kind, details) => {
    expect(valid(kind, details), JSON.stringify(validStep.errors)).toBe(true);
  });

  it.each(DETAILS)('%s: the schema refuses a field it does not describe', (kind, details) => {
    expect(valid(kind, { ...details, extra: 1 })).toBe(false);
  });

  it('a kind is held to its own shape: discover details on pull, pull details on discover, details on start', () => {
    expect(valid('pull', DETAILS[0]![1])).toBe(false);
    expect(valid('discover', DETAILS[3]![1])).toBe(false);
    expect(valid('start', {})).toBe(false);
    expect(valid('start', undefined)).toBe(true);
  });

  it('the read side finds each kind by its fields', () => {
    const [discover, patch, rebuild, pull] = DETAILS.map(([, details]) => details);
    expect(verdictsIn(discover).map((v) => v.ref)).toEqual(['reg:5000/team/app:prod', 'reg:5000/team/tool:prod']);
    expect(verdictsIn(patch).map((v) => v.ref)).toEqual(['reg:5000/os/debian:prod']);
    expect(verdictsIn(pull)).toEqual([]);
    expect(rebuildFindingsIn(rebuild).rebuilt).toEqual(['reg:5000/team/app:prod']);
    expect(rebuildFindingsIn(discover)).toEqual({});
    expect(pullFindingsIn(pull).parked).toEqual(['app.freshen-old']);
    expect(pullFindingsIn(rebuild)).toEqual({});
    expect(promotionsIn(DETAILS[4]![1]).map((p) => p.eligible_at)).toEqual(['2026-12-08T10:00:00.000Z']);
    expect(promotionsIn(pull)).toEqual([]);
  });
});
