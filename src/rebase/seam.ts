// Where an image's own layers begin: the seam between its base's layers and the layers its Dockerfile added. A rebase is
// only as safe as this split is exact, so it is established by content (diff IDs, layer for layer) and history, never
// guessed. Pure.

/** One entry of an image config's `history` (empty_layer entries make no layer). */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  author?: string;
  empty_layer?: boolean;
}

/** What the seam needs of an image's config: its layers' diff IDs and its history. */
export interface LayerStack {
  diffIds: readonly string[];
  history: readonly HistoryEntry[];
}

export type Seam =
  | {
      ok: true;
      /** How many of the image's layers are the base's. */
      baseLayers: number;
      /** The image's own layers, by diff ID, and its own history entries (empty ones included), in order. */
      ownDiffIds: string[];
      ownHistory: HistoryEntry[];
    }
  | { ok: false; reason: string };

const layersIn = (history: readonly HistoryEntry[]): number => history.filter((h) => h.empty_layer !== true).length;
const short = (digest: string | undefined): string => (digest === undefined ? 'none' : `${digest.slice(7, 19)}…`);

/** A config's layer stack, from its `rootfs.diff_ids` and `history`; undefined when it has neither in the shape images use. */
export function layerStackOf(config: Record<string, unknown>): LayerStack | undefined {
  const rootfs = config.rootfs as { diff_ids?: unknown } | undefined;
  const diffIds = rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d))) return undefined;
  const history = Array.isArray(config.history) ? (config.history as HistoryEntry[]) : [];
  return { diffIds, history };
}

/**
 * Splits `image` at the end of `oldBase`: the image's first layers must be the old base's, diff ID for diff ID, and its history
 * must begin with the old base's history, entry for entry (what made each layer). Refuses, saying where, when either does not
 * hold (the image was built on another base, or rebased before), or when the image adds no layer of its own.
 */
export function findSeam(image: LayerStack, oldBase: LayerStack): Seam {
  const n = oldBase.diffIds.length;
  if (image.diffIds.length < n) {
    return { ok: false, reason: `the image has ${image.diffIds.length} layers, fewer than the ${n} of the base it names` };
  }
  const differs = oldBase.diffIds.findIndex((d, i) => image.diffIds[i] !== d);
  if (differs >= 0) {
    return {
      ok: false,
      reason: `layer ${differs + 1} is ${short(image.diffIds[differs])}, the base's is ${short(oldBase.diffIds[differs])}: the image was not built on this base`,
    };
  }
  if (image.diffIds.length === n) return { ok: false, reason: 'the image adds no layer of its own to its base: retag the new base instead' };
  // Histories that record layers must agree with the diff IDs; a base without history cannot show where its entries end.
  if (layersIn(oldBase.history) !== n || layersIn(image.history) !== image.diffIds.length) {
    return { ok: false, reason: "the image's or the base's history does not account for its layers, so where the base ends cannot be shown" };
  }
  const entries = oldBase.history.length;
  const mismatch = oldBase.history.findIndex(
    (h, i) => (image.history[i]?.created_by ?? '') !== (h.created_by ?? '') || (image.history[i]?.empty_layer === true) !== (h.empty_layer === true),
  );
  if (mismatch >= 0) return { ok: false, reason: `history entry ${mismatch + 1} differs from the base's: the image was not built on this base` };
  return { ok: true, baseLayers: n, ownDiffIds: image.diffIds.slice(n), ownHistory: image.history.slice(entries) };
}
