// Notifications through the CLI, to receivers of the test's own on 127.0.0.1: a generic JSON webhook, a Slack-compatible
// webhook and an ntfy topic get one message each about a host the rollout could not reach, with the ntfy token in its
// Authorization header and nowhere else; a receiver that answers 500 is reported and does not change the run's exit code;
// the same news the next day is not sent again; a check run sends nothing.
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/lab.js';
import { serve } from '../support/loopbackHttp.js';
import { freshen, readReport, tempDir, writePlaybook } from './rollout.helpers.js';
import { notifyAfterRun } from '../../src/cli/notifyAfterRun.js';
import type { Inventory } from '../../src/model/inventory.js';
import type { Playbook } from '../../src/model/playbook.js';
import type { RunReport } from '../../src/runner/report.js';
import { runSecrets } from '../../src/shared/secretText.js';
import { stepRecordOf } from '../support/stepRecords.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const TOKEN = 't-notify-ntfy-token-4711';
const SLACK_SECRET = 'T0000/B0000/t-notify-slack-secret';
let dir: string;

/** A receiver that records what it gets and answers `status`. */
async function receiver(status: number): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const address = await serve((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  return { url: `http://${address}`, got };
}

beforeAll(async () => {
  dir = await tempDir('t-notify-');
});

describe('notify after a run', () => {
  it('sends each target one message about what failed, once; a failing receiver is reported; a check run sends nothing', async () => {
    const [webhook, slack, ntfy, broken] = await Promise.all([receiver(200), receiver(200), receiver(200), receiver(500)]);
    const inventory = await writePlaybook(
      dir,
      'inventory.yml',
      JSON.stringify({
        all: {
          vars: {
            registry: '127.0.0.1:5055',
            notify_webhook: `${webhook.url}/hook`,
            notify_slack: `${slack.url}/services/${SLACK_SECRET}`,
            notify_ntfy: `${ntfy.url}/freshen`,
            notify_broken: `${broken.url}/hook`,
          },
          children: { web: { hosts: { dead: { docker: { host: 'tcp://127.0.0.1:1', tls: false } } } } },
        },
      }),
    );
    const playbook = await writePlaybook(
      dir,
      'playbook.yml',
      [
        '- name: Roll out',
        '  hosts: web',
        '  notify:',
        '    - { type: webhook, url_var: notify_webhook }',
        '    - { type: slack, url_var: notify_slack }',
        '    - { type: ntfy, url_var: notify_ntfy, token_env: T_NOTIFY_TOKEN }',
        '    - { type: webhook, url_var: notify_broken }',
        '  steps: [pull, stop, start]',
        '',
      ].join('\n'),
    );
    const env = { T_NOTIFY_TOKEN: TOKEN, FRESHEN_STATE_DIR: join(dir, 'state') };
    const run = (json: string, extra: string[] = []) =>
      freshen(['run', playbook, '-i', inventory, '--json', join(dir, json), ...extra], join(dir, 'locks'), env);

    const checked = await run('check.json', ['--check']);
    expect(checked.code).toBe(4);
    expect([webhook, slack, ntfy, broken].map((r) => r.got.length)).toEqual([0, 0, 0, 0]);
    expect((await readReport(join(dir, 'check.json'))).notifications).toBeUndefined();

    const first = await run('first.json');
    // The run's own outcome (a host unreachable) stands, whatever became of the notifications.
    expect(first.code, first.stdout + first.stderr).toBe(4);
    expect((await readReport(join(dir, 'first.json'))).notifications).toEqual([
      { target: 'webhook notify_webhook', status: 'sent' },
      { target: 'slack notify_slack', status: 'sent' },
      { target: 'ntfy notify_ntfy', status: 'sent' },
      { target: 'webhook notify_broken', status: 'failed', reason: 'the receiver answered 500 Internal Server Error' },
    ]);
    expect(first.stdout).toContain('notify webhook notify_broken: failed (the receiver answered 500 Internal Server Error)');
    const reportSchema = JSON.parse(await readFile(join(REPO_ROOT, 'schemas/report.schema.json'), 'utf8'));
    const validReport = new Ajv2020.default({ allErrors: true, strict: true, validateFormats: false }).compile(reportSchema);
    expect(validReport(await readReport(join(dir, 'first.json'))), JSON.stringify(validReport.errors)).toBe(true);

    const schema = JSON.parse(await readFile(join(REPO_ROOT, 'schemas/notification.schema.json'), 'utf8'));
    const body = JSON.parse(webhook.got[0]!.body) as { failed: Array<{ host: string; status: string; reason: string }> };
    expect(new Ajv2020.default({ strict: true }).compile(schema)(body)).toBe(true);
    expect(body.failed).toEqual([expect.objectContaining({ host: 'dead', step: 'pull', status: 'unreachable' })]);
    expect(body.failed[0]!.reason).toContain('tcp://127.0.0.1:1');
    expect((JSON.parse(slack.got[0]!.body) as { text: string }).text).toMatch(/^freshen: 1 failed\nFAILED dead pull \(\w[\w-]*\): .*127\.0\.0\.1:1/);
    expect(slack.got[0]!.path).toBe(`/services/${SLACK_SECRET}`);
    expect(ntfy.got[0]).toMatchObject({ path: '/freshen', headers: { title: 'freshen: 1 failed', priority: 'high', authorization: `Bearer ${TOKEN}` } });
    // The token goes to the ntfy receiver's header only; neither it nor the Slack URL's secret is in any output.
    for (const r of [webhook, slack, broken]) expect(JSON.stringify(r.got)).not.toContain(TOKEN);
    const said = first.stdout + first.stderr + (await readFile(join(dir, 'first.json'), 'utf8'));
    expect(said).not.toContain(TOKEN);
    expect(said).not.toContain(SLACK_SECRET);

    const again = await run('again.json');
    expect(again.code).toBe(4);
    expect((await readReport(join(dir, 'again.json'))).notifications).toEqual([
      { target: 'webhook notify_webhook', status: 'skipped', reason: 'already announced' },
      { target: 'slack notify_slack', status: 'skipped', reason: 'already announced' },
      { target: 'ntfy notify_ntfy', status: 'skipped', reason: 'already announced' },
      // Not announced yet, so it is tried again.
      { target: 'webhook notify_broken', status: 'failed', reason: 'the receiver answered 500 Internal Server Error' },
    ]);
    expect([webhook, slack, ntfy, broken].map((r) => r.got.length)).toEqual([1, 1, 1, 2]);
  }, 120_000);

  it("a secret the run knows is scrubbed from every body, even inside a peer's text quoted in a reason", async () => {
    const webhook = await receiver(200);
    const secret = 't-notify-registry-password-0815';
    runSecrets.add(secret);
    const report: RunReport = {
      check: false,
      interrupted: false,
      recap: {},
      plays: [
        {
          name: 'Roll out',
          hosts: {
            web1: [
              stepRecordOf({
                step: 'pull',
                status: 'failed',
                code: 'failed',
                reason: `the registry answered: invalid credentials for user admin:${secret}`,
              }),
            ],
          },
        },
      ],
    };
    const playbook: Playbook = {
      file: 'p.yml',
      dir,
      plays: [
        {
          name: 'Roll out',
          hosts: 'web',
          vars: {},
          notify: [{ type: 'webhook', url: `${webhook.url}/hook` }],
          steps: [{ kind: 'pull', options: {}, index: 0 }],
        },
      ],
    };
    const inventory = { file: 'i.yml', hosts: new Map(), groups: new Map() } as unknown as Inventory;
    const stateDir = process.env.FRESHEN_STATE_DIR;
    process.env.FRESHEN_STATE_DIR = join(dir, 'state-secret');
    try {
      expect(await notifyAfterRun(playbook, inventory, {}, report)).toEqual([{ target: 'webhook #1', status: 'sent' }]);
    } finally {
      process.env.FRESHEN_STATE_DIR = stateDir;
    }
    expect(webhook.got[0]!.body).toContain('invalid credentials for user admin:***');
    expect(webhook.got[0]!.body).not.toContain(secret);
  });
});
