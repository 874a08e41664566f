import { shortDigest } from '../model/imageRef.js';
import { formatBytes } from '../shared/bytes.js';
import { visibleControls } from '../shared/terminalText.js';
import type { HistoryEntry } from './seam.js';

// What `--diff` shows of a rebase: the image's layers before and after, as a unified diff of layer lines. The base's layers
// that go are `-`, the new base's that come are `+`, the layers both bases share and the image's own (moved, same blobs)
// are kept. History text comes from the image's config, a peer's text: controls are made visible and long lines cut. Pure.

export interface TableLayer {
  digest: string;
  size: number;
}

export interface LayerTableInput {
  /** `REGISTRY/REPO:TAG` now, and the reference the rebased image gets. */
  ref: string;
  dateRef: string;
  base: string;
  oldBaseLayers: readonly TableLayer[];
  newBaseLayers: readonly TableLayer[];
  ownLayers: readonly TableLayer[];
  /** The image's own history entries that made a layer, in order (what made each own layer). */
  ownHistory: readonly HistoryEntry[];
}

const SHOWN_COMMAND = 72;

const line = (mark: string, layer: TableLayer, what: string): string => `${mark} ${shortDigest(layer.digest)}  ${formatBytes(layer.size).padStart(9)}  ${what}`;

const command = (entry: HistoryEntry | undefined): string => {
  // The classic builder names a COPY's source by its content hash: twelve digits say as much here.
  const text = visibleControls(
    (entry?.created_by ?? '')
      .replace(/^\/bin\/sh -c (#\(nop\) )?/, '')
      .replace(/\b(file|dir):([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1:$2…')
      .trim(),
  );
  return text.length > SHOWN_COMMAND ? `${text.slice(0, SHOWN_COMMAND - 1)}…` : text;
};

/** The unified-diff lines of one rebase's layers. */
export function layerTable(input: LayerTableInput): string[] {
  const kept = new Set(input.newBaseLayers.map((l) => l.digest));
  const oldDigests = new Set(input.oldBaseLayers.map((l) => l.digest));
  const layerHistory = input.ownHistory.filter((h) => h.empty_layer !== true);
  return [
    `--- ${input.ref} (on ${input.base} as built)`,
    `+++ ${input.dateRef} (on ${input.base} now)`,
    ...input.oldBaseLayers.filter((l) => !kept.has(l.digest)).map((l) => line('-', l, 'base')),
    ...input.newBaseLayers.map((l) => line(oldDigests.has(l.digest) ? ' ' : '+', l, 'base')),
    ...input.ownLayers.map((l, i) => line(' ', l, `own: ${command(layerHistory[i])}`)),
  ];
}
