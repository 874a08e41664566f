import { describe, expect, it } from 'vitest';
import { pingLines } from '../../src/ui/pingTable.js';

describe('pingLines', () => {
  it('aligns the checks, shows a failure’s first line, and counts hosts apart from registries', () => {
    const lines = pingLines([
      { host: 'web1', check: 'engine', target: 'ssh://deploy@web1', ok: true, detail: 'API 1.51, Docker 28.5.1, swarm manager', ms: 312 },
      { host: 'web2', check: 'engine', target: 'unix:///gone.sock', ok: false, detail: 'could not be reached: no such socket\nmore', ms: 2 },
      { host: '-', check: 'registry', target: 'https://reg:5000', ok: true, detail: 'answered, as ci', ms: 1500 },
    ]);
    expect(lines).toEqual([
      'HOST  CHECK     TARGET             RESULT                                        TIME',
      'web1  engine    ssh://deploy@web1  ok: API 1.51, Docker 28.5.1, swarm manager    312ms',
      'web2  engine    unix:///gone.sock  FAILED: could not be reached: no such socket  2ms',
      '-     registry  https://reg:5000   ok: answered, as ci                           1.5s',
      '',
      '3 checks of 2 hosts: 1 failed',
    ]);
  });
});
