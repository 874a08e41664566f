// Text a peer sent (a registry's error, a container's log line, a probe's output) may carry control characters that clear the
// screen, move the cursor or fake colours; freshen's own plain output uses none, so every control character but newline and tab
// is shown as a visible escape before it reaches a terminal.

// C0 controls but \t and \n, DEL, and the C1 controls (0x80-0x9f, which include the one-byte CSI).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with each control character (ESC, CR, BEL, …) replaced by a visible `\xNN`. */
export const visibleControls = (text: string): string => text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** A deep copy with every string made safe for a terminal (for the live view's events). */
export function visibleControlsDeep<T>(value: T): T {
  if (typeof value === 'string') return visibleControls(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => visibleControlsDeep(item)) as T;
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visibleControlsDeep(v)])) as T;
}
