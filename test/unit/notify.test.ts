import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { messageLines, notifyRequest } from '../../src/notify/messages.js';
import { hasNews, newsFingerprint, runSummary } from '../../src/notify/summary.js';
import { playNotifyTargets, resolveTargets } from '../../src/notify/targets.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory, loadPlaybook } from '../../src/load/index.js';
import type { RunReport } from '../../src/runner/report.js';
import { stepRecordOf } from '../support/stepRecords.js';

const step = stepRecordOf;
const APP = 'reg:5000/team/app:prod';
const report = (took: string): RunReport => ({
  check: false,
  interrupted: false,
  recap: { build1: { ok: 1, changed: 2, unreachable: 0, failed: 0, skipped: 0, rescued: 0, rolled_back: 0 } },
  plays: [
    {
      name: 'Build',
      hosts: {
        build1: [
          step({
            step: 'discover',
            status: 'ok',
            details: {
              images: [
                { repository: 'team/app', ref: APP, stale: true, reasons: ['packages-outdated'], explanations: ['1 package has an update'] },
                { repository: 'x', ref: 'reg:5000/x:prod', stale: false, reasons: [], explanations: [] },
              ],
            },
          }),
          step({
            step: 'rebuild',
            status: 'changed',
            actions: [`Built ${APP} as reg:5000/team/app:20261201-0300`],
            // What rebuild reports for machines; the summary reads these fields, never the sentences of actions or notes.
            details: {
              rebuilt: [APP],
              changes: { [APP]: { changed: [{ name: 'perl-base', from: '5.36.0-7+deb12u1', to: '5.36.0-7+deb12u2' }], added: [], removed: [] } },
            },
          }),
        ],
      },
    },
    {
      name: 'Roll out',
      hosts: {
        web1: [step({ step: 'start', status: 'changed', actions: [`Replaced app with ${APP}@sha256:abc in ${took}`] })],
        web2: [step({ step: 'start', status: 'failed', code: 'health-failed', reason: 'app did not become healthy; rolled back\nlog lines' })],
      },
    },
    { name: 'Quiet', hosts: { web3: [step({ step: 'start', status: 'changed', actions: ['Replaced other'] })] } },
  ],
});

describe('runSummary', () => {
  const summary = runSummary(report('2.1s'), new Set(['Build', 'Roll out']));

  it('says what was rebuilt and why, what changed inside, where it rolled out and what failed, for the plays that notify', () => {
    expect(summary.rebuilt).toEqual([{ ref: APP, reasons: ['packages-outdated'], packages: ['perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2'] }]);
    expect(summary.rolled_out).toEqual([{ host: 'web1', step: 'start', actions: [`Replaced app with ${APP}@sha256:abc in 2.1s`] }]);
    expect(summary.failed).toEqual([
      { host: 'web2', step: 'start', status: 'failed', code: 'health-failed', reason: 'app did not become healthy; rolled back' },
    ]);
    expect(hasNews(summary)).toBe(true);
    expect(hasNews(runSummary(report('1s'), new Set(['Nothing'])))).toBe(false);
  });

  it('the same news has the same fingerprint however long it took; other news another', () => {
    expect(newsFingerprint(runSummary(report('9.9s'), new Set(['Build', 'Roll out'])))).toBe(newsFingerprint(summary));
    expect(newsFingerprint(runSummary(report('2.1s'), new Set(['Build'])))).not.toBe(newsFingerprint(summary));
  });

  it('each target type gets its body: the schema-valid JSON, a Slack text, an ntfy message with a title and priority', () => {
    const validate = new Ajv2020.default({ strict: true }).compile(
      JSON.parse(readFileSync(join(import.meta.dirname, '../../schemas/notification.schema.json'), 'utf8')),
    );
    const webhook = notifyRequest({ type: 'webhook', name: 'w', url: 'http://x', token: 'tok-123456' }, summary);
    expect(validate(JSON.parse(webhook.body)), JSON.stringify(validate.errors)).toBe(true);
    expect(webhook.headers.Authorization).toBe('Bearer tok-123456');
    expect(webhook.body).not.toContain('tok-123456');
    const slack = JSON.parse(notifyRequest({ type: 'slack', name: 's', url: 'http://x' }, summary).body) as { text: string };
    expect(slack.text).toBe(messageLines(summary).join('\n'));
    expect(slack.text).toContain('Rebuilt reg:5000/team/app:prod (packages-outdated)\n  perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2');
    expect(slack.text).toContain('FAILED web2 start (health-failed): app did not become healthy; rolled back');
    const ntfy = notifyRequest({ type: 'ntfy', name: 'n', url: 'http://x/topic' }, summary);
    expect(ntfy.headers).toMatchObject({ Title: 'freshen: rebuilt 1 image, rolled out on 1 host, 1 failed', Priority: 'high' });
    expect(ntfy.body.split('\n')[0]).toBe('Rebuilt reg:5000/team/app:prod (packages-outdated)');
  });
});

describe('runSummary of a run that promotes between stages', () => {
  const D = (c: string) => `sha256:${c.repeat(64)}`;
  const promoting = (check: boolean, status: 'ok' | 'changed'): RunReport => ({
    check,
    interrupted: false,
    recap: {},
    plays: [
      {
        name: 'Promote',
        hosts: {
          registry1: [
            step({
              step: 'promote',
              status,
              details: {
                promotions: [
                  {
                    repository: 'team/app',
                    from: 'canary',
                    to: 'prod',
                    build: D('5'),
                    action: 'promote',
                    reason: 'ran on every canary host (web1) for 1d or more',
                    hosts: [],
                  },
                  {
                    repository: 'team/api',
                    from: 'canary',
                    to: 'prod',
                    build: D('7'),
                    action: 'hold',
                    reason: 'rolled back on web1: never promoted',
                    hosts: [],
                  },
                  { repository: 'team/db', from: 'canary', to: 'prod', build: D('8'), action: 'wait', reason: 'soaking', hosts: [] },
                ],
              },
            }),
          ],
        },
      },
    ],
  });

  it('says which build was promoted and which one a stage holds back; a check run promoted nothing', () => {
    const summary = runSummary(promoting(false, 'changed'), new Set(['Promote']));
    expect(summary.promoted).toEqual([
      { repository: 'team/app', from: 'canary', to: 'prod', build: D('5'), reason: 'ran on every canary host (web1) for 1d or more' },
    ]);
    expect(summary.held).toEqual([{ repository: 'team/api', stage: 'canary', build: D('7'), reason: 'rolled back on web1: never promoted' }]);
    expect(hasNews(summary)).toBe(true);
    const lines = messageLines(summary);
    expect(lines[0]).toBe('freshen: promoted 1 build, 1 build held back');
    expect(lines).toContain(`Promoted team/app from canary to prod (${D('5').slice(0, 19)}…): ran on every canary host (web1) for 1d or more`);
    expect(lines).toContain(`Held back team/api at canary (${D('7').slice(0, 19)}…): rolled back on web1: never promoted`);
    const validate = new Ajv2020.default({ strict: true }).compile(
      JSON.parse(readFileSync(join(import.meta.dirname, '../../schemas/notification.schema.json'), 'utf8')),
    );
    const webhook = JSON.parse(notifyRequest({ type: 'webhook', name: 'w', url: 'http://x' }, summary).body);
    expect(validate(webhook), JSON.stringify(validate.errors)).toBe(true);
    expect(runSummary(promoting(true, 'changed'), new Set(['Promote'])).promoted).toBeUndefined();
    expect(newsFingerprint(runSummary(promoting(true, 'changed'), new Set(['Promote'])))).not.toBe(newsFingerprint(summary));
  });
});

describe('resolveTargets', () => {
  it('takes the URL from a variable and the token from the environment, and says what is missing, never the URL', () => {
    const { targets, problems } = resolveTargets(
      [
        { type: 'slack', url_var: 'slack_url' },
        { type: 'ntfy', url: 'http://127.0.0.1:9/t', token_env: 'NTFY_TOKEN' },
        { type: 'webhook', url_var: 'missing' },
        { type: 'webhook', url_var: 'not_http' },
        { type: 'ntfy', url: 'http://127.0.0.1:9/u', token_env: 'UNSET' },
      ],
      { slack_url: 'https://hooks.example.invalid/T000/B000/secret-part', not_http: 'file:///etc/passwd' },
      { NTFY_TOKEN: 'tk_abcdef' },
    );
    expect(targets).toEqual([
      { type: 'slack', name: 'slack slack_url', url: 'https://hooks.example.invalid/T000/B000/secret-part' },
      { type: 'ntfy', name: 'ntfy #2', url: 'http://127.0.0.1:9/t', token: 'tk_abcdef' },
    ]);
    expect(problems).toEqual([
      { target: 'webhook missing', message: 'the variable missing is not set' },
      { target: 'webhook not_http', message: 'the URL is not http:// or https://' },
      { target: 'ntfy #5', message: 'the environment variable UNSET is not set' },
    ]);
  });
});

describe('playNotifyTargets', () => {
  it("finds a url_var set in the play's vars, as validate does (the sender once looked in the inventory and -e only)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 't-notify-vars-'));
    writeFileSync(
      join(dir, 'inventory.yml'),
      'all:\n  vars: { registry: "127.0.0.1:9", shared: "http://127.0.0.1:9/all" }\n  hosts: { h1: { docker: { host: "unix:///x.sock" } } }\n',
    );
    writeFileSync(
      join(dir, 'play.yml'),
      [
        '- name: Roll',
        '  hosts: all',
        '  vars: { hook: "http://127.0.0.1:9/play" }',
        '  notify: [{ type: webhook, url_var: hook }, { type: webhook, url_var: shared }]',
        '  steps: [pull]',
        '- name: Again',
        '  hosts: all',
        '  notify: [{ type: webhook, url_var: shared }]',
        '  steps: [pull]',
        '',
      ].join('\n'),
    );
    const inventory = await loadInventory(join(dir, 'inventory.yml'), { env: {} });
    const playbook = await loadPlaybook(join(dir, 'play.yml'), inventory.value, { env: {} });
    expect(playbook.diagnostics).toEqual([]);
    const { targets, problems } = playNotifyTargets(playbook.value!.plays, inventory.value!.groups.get('all')!.vars, {}, {});
    expect(problems).toEqual([]);
    // The target two plays name is sent to once.
    expect(targets.map((t) => t.url)).toEqual(['http://127.0.0.1:9/play', 'http://127.0.0.1:9/all']);
  });
});
