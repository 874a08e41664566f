/** Label names freshen writes on every image it builds (see docs/architecture.md). */
export const LABEL_BASES = 'org.freshen.bases';
export const LABEL_CONTEXT = 'org.freshen.context';
export const LABEL_SOURCE = 'org.freshen.source';
export const LABEL_CREATED = 'org.opencontainers.image.created';

/**
 * When an image was made, by its config: the OCI `created` label (a build's own time, kept by patch and rebuild), else the
 * config's `created`. What max_age and the cooldowns judge.
 */
export function imageCreated(config: { created?: unknown; config?: { Labels?: Record<string, string> | null } } | undefined): string | undefined {
  const created = config?.config?.Labels?.[LABEL_CREATED] ?? config?.created;
  return typeof created === 'string' ? created : undefined;
}
export const LABEL_BASE_NAME = 'org.opencontainers.image.base.name';
/** OCI's label for the base's manifest digest (`org.opencontainers.image.base.name` names it). */
export const LABEL_BASE_DIGEST = 'org.opencontainers.image.base.digest';

/** What an image records about how it was built. */
export interface Provenance {
  /** Every base reference → the image ID (config digest) it was built from. */
  bases: Record<string, string>;
  contextDigest: string;
}

export type ProvenanceRead = { ok: true; value: Provenance } | { ok: false; problem: string };

/** Reads the provenance labels of an image's config; a missing or malformed label is a problem, not an error. */
export function readProvenance(labels: Readonly<Record<string, string>> | null | undefined): ProvenanceRead {
  const basesText = labels?.[LABEL_BASES];
  const contextDigest = labels?.[LABEL_CONTEXT];
  if (basesText === undefined || contextDigest === undefined) return { ok: false, problem: 'carries no provenance labels' };
  let bases: unknown;
  try {
    bases = JSON.parse(basesText);
  } catch {
    return { ok: false, problem: `has an unreadable ${LABEL_BASES} label` };
  }
  const valid = typeof bases === 'object' && bases !== null && !Array.isArray(bases) && Object.values(bases).every((v) => typeof v === 'string');
  if (!valid) return { ok: false, problem: `has an unreadable ${LABEL_BASES} label` };
  return { ok: true, value: { bases: bases as Record<string, string>, contextDigest } };
}

/** Inputs of the labels written on a build. */
export interface ProvenanceInput {
  /** Every base reference → its local image ID right before the build. */
  baseIds: Record<string, string>;
  contextDigest: string;
  /** Directory below the root, i.e. the repository. */
  source: string;
  /** The final stage's base (`scratch` included). */
  finalBase: string;
  /** Its manifest digest, when known. */
  finalBaseDigest?: string;
  created: Date;
}

/** The value of `org.freshen.bases`: its keys sorted, so equal bases give equal labels (rebuild's and rebase's alike). */
export function basesLabel(baseIds: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(baseIds).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** The labels `rebuild` passes to the engine. */
export function provenanceLabels(input: ProvenanceInput): Record<string, string> {
  return {
    [LABEL_BASES]: basesLabel(input.baseIds),
    [LABEL_CONTEXT]: input.contextDigest,
    [LABEL_SOURCE]: input.source,
    [LABEL_CREATED]: input.created.toISOString(),
    [LABEL_BASE_NAME]: input.finalBase,
    // Always written, empty when unknown: a build inherits its base's labels, and the base's own base digest names another image.
    [LABEL_BASE_DIGEST]: input.finalBaseDigest ?? '',
  };
}
