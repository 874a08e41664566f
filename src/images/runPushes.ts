// What one run pushes, shared by every host of the run: `push` records, `pull` and `service` ask whether a reference will change,
// and `gc` waits until no upload is in flight (a sweep during an upload could collect the upload's blobs).

/** How a wait for pushes in flight ended. */
export type PushesSettled = 'settled' | 'timed-out' | 'aborted';

export class RunPushes {
  private readonly refs = new Map<string, { digest?: string; planned: boolean }>();
  private inFlight = 0;
  private readonly waiters = new Set<() => void>();

  /** A check run's push announces what it would push, so later steps plan on the new image. */
  announce(ref: string): void {
    if (!this.refs.has(ref)) this.refs.set(ref, { planned: true });
  }

  /** Whether `ref` changes only by a push this run plans (a check run): there is no digest to compare yet. */
  isPlanned(ref: string): boolean {
    return this.refs.get(ref)?.planned === true;
  }

  /** The manifest digest the registry served after this run pushed `ref`. */
  digestOf(ref: string): string | undefined {
    return this.refs.get(ref)?.digest;
  }

  /** Records what the registry serves as `ref` after this run pushed it. */
  pushed(ref: string, digest: string): void {
    this.refs.set(ref, { digest, planned: false });
  }

  /** Number of uploads of this run under way. */
  get pending(): number {
    return this.inFlight;
  }

  /** Runs an upload, counted as in flight until it ends however it ends. */
  async upload<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const wake of [...this.waiters]) wake();
    }
  }

  /** Resolves once no upload is in flight: at once when none is, when the last one ends, or on the time-out or `signal`. */
  settled(timeoutMs: number, signal?: AbortSignal): Promise<PushesSettled> {
    if (this.inFlight === 0) return Promise.resolve('settled');
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const end = (how: PushesSettled): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(onSettled);
        resolve(how);
      };
      const onSettled = (): void => end('settled');
      const onAbort = (): void => end('aborted');
      const timer = setTimeout(() => end('timed-out'), timeoutMs);
      this.waiters.add(onSettled);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
