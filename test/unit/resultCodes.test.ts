// Failure and unreachable codes are one enumerated list: the report schema and docs/steps.md name exactly these.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAILURE_CODES, UNREACHABLE_CODES, isFailureCode } from '../../src/model/failureCodes.js';
import { failed } from '../../src/model/results.js';
import { runStep } from '../../src/runner/runStep.js';
import type { StepContext, StepHandler } from '../../src/steps/types.js';

const codes = [...Object.keys(FAILURE_CODES), ...Object.keys(UNREACHABLE_CODES)];
const report = JSON.parse(readFileSync(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8')) as {
  $defs: { step: { properties: { code: { enum: string[] } } } };
};
const docs = readFileSync(new URL('../../docs/steps.md', import.meta.url), 'utf8');

describe('result codes', () => {
  it('the report schema lists exactly the enumerated codes', () => {
    expect([...report.$defs.step.properties.code.enum].sort()).toEqual([...codes].sort());
  });

  it('docs/steps.md has one row per code', () => {
    const section = docs.slice(docs.indexOf('## Result codes'));
    expect([...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]).sort()).toEqual([...codes].sort());
  });

  it('no code is both a failure and an unreachable code', () => {
    expect(Object.keys(FAILURE_CODES).filter((c) => Object.hasOwn(UNREACHABLE_CODES, c))).toEqual([]);
  });

  it.each([
    { thrown: Object.assign(new Error('gone'), { code: 'ECONNRESET' }), code: 'error' },
    { thrown: Object.assign(new Error('bad'), { code: 'name-conflict' }), code: 'name-conflict' },
    { thrown: Object.assign(new Error('made up'), { code: 'some-new-thing' }), code: 'error' },
  ])('a thrown $thrown.code becomes the failure code $code', async ({ thrown, code }) => {
    const step: StepHandler<undefined> = {
      kind: 'pull',
      plan: () => Promise.reject(thrown),
      changes: () => [],
      apply: async () => failed('never'),
    };
    const result = await runStep(step, {} as StepContext, {});
    expect(result).toMatchObject({ status: 'failed', code });
    expect(isFailureCode(code)).toBe(true);
  });
});
