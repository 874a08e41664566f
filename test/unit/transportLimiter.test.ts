// Bounded concurrency per registry: requests queue behind the limiter, and each one's deadline starts when it is sent, so a
// long queue on a slow registry does not time out requests that never got their turn.
import { describe, expect, it } from 'vitest';
import { HttpTransport } from '../../src/adapters/httpTransport.js';
import { Limiter } from '../../src/shared/limiter.js';
import { serve } from '../support/loopbackHttp.js';

describe('HttpTransport with a limiter', () => {
  it('never has more than the limit in flight, and a queued request gets its whole deadline once sent', async () => {
    let inFlight = 0;
    let peak = 0;
    const address = await serve((_req, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        res.end('ok');
      }, 100);
    });
    const transport = new HttpTransport({ limiter: new Limiter(2) });
    try {
      // 16 requests two at a time take about 800 ms in all, far past each request's own 600 ms deadline.
      const answers = await Promise.all(
        Array.from({ length: 16 }, () => transport.send({ method: 'GET', url: `http://${address}/v2/`, headers: {}, timeoutMs: 600 })),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
      expect(peak).toBe(2);
    } finally {
      transport.close();
    }
  });
});
