import { parseImageRef } from '../../model/imageRef.js';
import { rolloutTag } from '../../model/inventory.js';
import { datestampFormatOf } from '../../images/datestamp.js';
import { cooldown, maxAge, OptionError, probeOption, type ProbeOptions } from '../imageOptions.js';
import { durationOption } from '../optionError.js';

/** One upstream image and the managed repository its patches go to. */
export interface PatchTarget {
  /** The upstream reference (a tag, or a digest), never an earlier patch. */
  from: string;
  /** Repository in the host's `registry`. */
  to: string;
}

/** `patch`'s options with defaults applied. */
export interface PatchOptions {
  images: PatchTarget[];
  tag: string;
  /** The datestamp format (`date_format`). */
  dateFormat: string;
  /** The upgrade's network: `host` so the package manager reaches its mirror. */
  network: 'host' | 'none';
  /** Debian/Ubuntu: only upgrades from a `-security` suite; dnf: `--security`. */
  securityOnly: boolean;
  maxAgeMs?: number;
  /** An upstream whose current image was created less than this ago is not yet a reason to patch. */
  cooldownMs?: number;
  /** Probe the current patch for pending updates (on by default: that is how a patch learns it rotted). */
  probe?: ProbeOptions;
  timeoutMs: number;
  /** An upgrade that changes no package against the current patch of the same upstream is discarded, not pushed. */
  skipIdentical: boolean;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function target(value: unknown, index: number, registry: unknown): PatchTarget {
  const path = ['images', String(index)];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OptionError('patch "images" entries are maps with "from" and "to"', path);
  const { from, to } = value as Record<string, unknown>;
  if (typeof from !== 'string' || from === '') throw new OptionError('a patch image needs "from", the upstream image reference', [...path, 'from']);
  if (typeof to !== 'string' || !REPOSITORY.test(to)) {
    throw new OptionError(`a patch image needs "to", a repository name in the registry (lowercase, like vendor/nginx), not ${JSON.stringify(to)}`, [
      ...path,
      'to',
    ]);
  }
  const upstream = parseImageRef(from);
  if (typeof registry === 'string' && upstream.registry === registry && upstream.repository === to) {
    throw new OptionError(`patch "from" and "to" are the same repository (${to}): a patch is always made from the original, kept apart`, [...path, 'to']);
  }
  return { from, to };
}

export function patchOptions(options: Record<string, unknown>, vars: Record<string, unknown>): PatchOptions {
  const images = options.images;
  if (!Array.isArray(images) || images.length === 0) throw new OptionError('patch needs "images", a list of { from, to }', ['images']);
  const targets = images.map((image, i) => target(image, i, vars.registry));
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (seen.has(t.to)) throw new OptionError(`patch names repository ${t.to} twice`, ['images', String(i), 'to']);
    seen.add(t.to);
  });
  const network = options.network ?? 'host';
  if (network !== 'host' && network !== 'none') throw new OptionError('patch "network" must be "host" or "none"', ['network']);
  const probe = options.probe === undefined ? probeOption(true, 'patch') : probeOption(options.probe, 'patch');
  return {
    images: targets,
    tag: rolloutTag(vars),
    dateFormat: datestampFormatOf(vars).pattern,
    network,
    securityOnly: options.security_only === true,
    ...maxAge(options),
    ...cooldown(options),
    ...probe,
    timeoutMs: durationOption(options, ['timeout'], { fallback: '30m', positive: true }),
    skipIdentical: options.skip_identical !== false,
  };
}
