import { formatSpan } from '../model/duration.js';

// Cooldown: a digest that appeared less than N ago is not yet a reason to act on it (an upstream pushed broken is often
// re-pushed within hours). A digest's age is its image's `created` time, which every control node reads the same from the
// registry, with no state of its own. Pure.

/** What a cooldown says of one new digest: act now (undefined), or wait until `until` (ms since the epoch), said in `note`. */
export interface CooldownWait {
  until: number;
  note: string;
}

/**
 * Whether `what` (a sentence's subject: "upstream debian:bookworm changed to sha256:ab…") must wait: its image was created
 * less than `cooldownMs` before `now`. A created time that does not parse cannot show the image is young: no wait.
 */
export function cooldownWait(
  what: string,
  created: string | undefined,
  cooldownMs: number | undefined,
  now: number,
  /** What the change is not yet a reason to do: rebuild, patch, pull, update the service. */
  act = 'rebuild',
): CooldownWait | undefined {
  if (cooldownMs === undefined || created === undefined) return undefined;
  const at = Date.parse(created);
  if (Number.isNaN(at)) return undefined;
  const until = at + cooldownMs;
  if (now >= until) return undefined;
  return {
    until,
    note: `${what}, created ${new Date(at).toISOString()}: within the cooldown of ${formatSpan(cooldownMs)}, not a reason to ${act} until ${new Date(until).toISOString()}`,
  };
}

/** The latest of several waits: when every one of them has passed. */
export const latestWait = (waits: readonly CooldownWait[]): number | undefined => (waits.length === 0 ? undefined : Math.max(...waits.map((w) => w.until)));
