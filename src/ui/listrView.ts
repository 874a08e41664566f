import { Listr, type ListrTask } from 'listr2';
import { formatDuration } from '../model/duration.js';
import type { RunEvent } from '../runner/events.js';
import { addToTally, emptyTally, hostTitle, runningTitle, stepLines, type HostTally } from './liveLines.js';

/** How a host's task ends: done (ok), failed or unreachable (✖), or never run because the play stopped (skipped). */
type HostEnd = { kind: 'done' | 'failed' | 'skipped'; title: string };

interface HostLine {
  name: string;
  done: Promise<HostEnd>;
  finish(end: HostEnd): void;
  finished: boolean;
  task?: { title: string; output: string };
  title: string;
  output: string[];
  started?: number;
  step?: { kind: string; started: number; progress?: string };
  tally: HostTally;
}

interface PlayTask {
  title: string;
}

/** Columns left for a line under a host: the terminal's width minus listr's indentation. */
const width = (): number => Math.max(40, (process.stdout.columns ?? 100) - 8);

/**
 * Live progress on a terminal (listr2): per play a task, per batch a task when `serial` makes more than one (run one after the
 * other; later ones wait as pending), per host a task whose title shows the running step, its elapsed time and progress, and at
 * the end the host's counts and duration; under it, one line per finished step with its duration and actions.
 */
export class ListrView {
  private hosts = new Map<string, HostLine>();
  private rendering: Promise<void> = Promise.resolve();
  private play?: { task?: PlayTask; title: string; started: number };
  private readonly ticker = setInterval(() => this.tick(), 1000);

  constructor() {
    this.ticker.unref();
  }

  handle(event: RunEvent): void {
    switch (event.type) {
      case 'play-start':
        this.startPlay(event.play.name, event.batches, event.at);
        break;
      case 'host-start': {
        const line = this.hosts.get(event.host);
        if (line) line.started = event.at;
        break;
      }
      case 'step-start': {
        const line = this.hosts.get(event.host);
        if (!line) break;
        line.step = { kind: event.step.kind, started: event.at };
        this.render(line);
        break;
      }
      case 'progress': {
        const line = this.hosts.get(event.host);
        if (!line?.step) break;
        line.step.progress = event.message;
        this.render(line);
        break;
      }
      case 'step-end': {
        const line = this.hosts.get(event.host);
        if (!line) break;
        line.step = undefined;
        addToTally(line.tally, event.result);
        line.output.push(...stepLines(event.step.kind, event.result, event.durationMs, width()));
        this.render(line);
        break;
      }
      case 'host-end': {
        const line = this.hosts.get(event.host);
        if (!line) break;
        const title = hostTitle(event.host, line.tally, event.at - (line.started ?? event.at), event.status === 'interrupted');
        this.end(line, { kind: event.status === 'failed' || event.status === 'unreachable' ? 'failed' : 'done', title });
        break;
      }
      case 'play-end': {
        // Hosts of batches the play never reached (it stopped, or the run was interrupted) end as skipped.
        for (const line of this.hosts.values())
          this.end(line, { kind: 'skipped', title: `${line.name}: not run${event.stopReason ? ` (${event.stopReason})` : ''}` });
        if (this.play?.task)
          this.play.task.title = `${this.play.title} (${formatDuration(event.at - this.play.started)})${event.stopReason ? `: stopped, ${event.stopReason}` : ''}`;
        break;
      }
      default:
        break;
    }
  }

  /** Resolves when every play's live view has finished drawing. */
  async finish(): Promise<void> {
    clearInterval(this.ticker);
    await this.rendering;
  }

  private startPlay(name: string, batches: string[][], startedAt: number): void {
    this.hosts = new Map();
    const title = `PLAY [${name}]`;
    const play: { task?: PlayTask; title: string; started: number } = { title, started: startedAt };
    this.play = play;
    // Every host's line exists from the start: events of a later batch may arrive before listr has started drawing it.
    const lines = new Map(batches.flat().map((host) => [host, this.newLine(host)]));
    const hostTask = (host: string): ListrTask => {
      const line = lines.get(host)!;
      return {
        title: host,
        rendererOptions: { persistentOutput: true },
        task: async (_ctx, task) => {
          line.task = task as unknown as HostLine['task'];
          this.render(line);
          const end = await line.done;
          this.render(line);
          if (end.kind === 'skipped') task.skip(end.title);
          if (end.kind === 'failed') throw new Error(end.title);
        },
      };
    };
    const concurrent = { concurrent: true, exitOnError: false } as const;
    const listr = new Listr(
      [
        {
          title,
          task: (_ctx, playTask) => {
            play.task = playTask;
            if (batches.length <= 1) return playTask.newListr((batches[0] ?? []).map(hostTask), concurrent);
            return playTask.newListr(
              batches.map((batch, i) => ({
                title: `batch ${i + 1}/${batches.length}: ${batch.join(', ')}`,
                task: (_c: unknown, batchTask: { newListr: typeof playTask.newListr }) => batchTask.newListr(batch.map(hostTask), concurrent),
              })),
              { concurrent: false, exitOnError: false },
            );
          },
        },
      ],
      { exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseSkips: false } } as never,
    );
    this.rendering = this.rendering.then(() =>
      listr.run().then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  private newLine(host: string): HostLine {
    let finish!: (end: HostEnd) => void;
    const done = new Promise<HostEnd>((resolve) => (finish = resolve));
    const line: HostLine = { name: host, done, finish, finished: false, title: host, output: [], tally: emptyTally() };
    this.hosts.set(host, line);
    return line;
  }

  private end(line: HostLine, end: HostEnd): void {
    if (line.finished) return;
    line.finished = true;
    line.step = undefined;
    line.title = end.title;
    this.render(line);
    line.finish(end);
  }

  /** Refreshes the running hosts' elapsed time once a second. */
  private tick(): void {
    for (const line of this.hosts.values()) if (line.step) this.render(line);
  }

  private render(line: HostLine): void {
    if (!line.task) return;
    line.task.title = line.step ? runningTitle(line.name, line.step.kind, Date.now() - line.step.started, line.step.progress, width()) : line.title;
    line.task.output = line.output.join('\n');
  }
}
