/** One JSON line of Docker's `POST /images/create` progress stream. */
export interface PullEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Parses the newline-delimited JSON of a pull stream; lines that are not JSON are kept as status text. */
export function parsePullStream(text: string): PullEvent[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as PullEvent;
      } catch {
        return { status: line };
      }
    });
}

/** The error a pull reported inside its stream (Docker answers 200 and reports failures in-band), if any. */
export function pullStreamError(events: PullEvent[]): string | undefined {
  const failure = events.find((event) => event.error !== undefined || event.errorDetail?.message !== undefined);
  return failure ? (failure.errorDetail?.message ?? failure.error) : undefined;
}

/** The manifest digest a pull reports (`Digest: sha256:…`), if any. */
export function pulledDigest(events: PullEvent[]): string | undefined {
  for (const event of events) {
    const match = /^Digest: (sha256:[0-9a-f]{64})$/.exec(event.status ?? '');
    if (match) return match[1];
  }
  return undefined;
}
