import { Listr, type ListrTaskWrapper } from 'listr2';
import { formatDuration } from '../model/duration.js';
import type { RunEvent } from '../runner/events.js';

interface HostLine {
  done: Promise<void>;
  finish(error?: Error): void;
  task?: { title: string; output: string };
  title: string;
  output: string[];
}

/** Live progress on a terminal: one listr2 task per host per play, titled with its current step, results kept below it. */
export class ListrView {
  private hosts = new Map<string, HostLine>();
  private rendering: Promise<void> = Promise.resolve();

  handle(event: RunEvent): void {
    switch (event.type) {
      case 'play-start':
        this.startPlay(event.play.name, event.hosts);
        break;
      case 'step-start':
        this.update(event.host, `${event.host}: ${event.step.kind}…`);
        break;
      case 'progress':
        this.update(event.host, undefined, `${event.step.kind}: ${event.message}`);
        break;
      case 'step-end': {
        const line = `${event.result.status} ${event.step.kind} (${formatDuration(event.durationMs)})`;
        const details = [...event.result.actions.map((a) => `  - ${a}`), ...(event.result.reason ? [`  ${event.result.reason}`] : [])];
        this.append(event.host, [line, ...details]);
        break;
      }
      case 'host-end': {
        const host = this.hosts.get(event.host);
        if (!host) break;
        this.update(event.host, `${event.host}: ${event.status}`);
        host.finish(event.status === 'ok' ? undefined : new Error(`${event.host}: ${event.status}`));
        break;
      }
      default:
        break;
    }
  }

  /** Resolves when every play's live view has finished drawing. */
  async finish(): Promise<void> {
    await this.rendering;
  }

  private startPlay(name: string, hostNames: string[]): void {
    this.hosts = new Map();
    for (const host of hostNames) {
      let finish!: (error?: Error) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = (error) => (error ? reject(error) : resolve());
      });
      done.catch(() => undefined);
      this.hosts.set(host, { done, finish, title: host, output: [] });
    }
    const lines = this.hosts;
    const listr = new Listr(
      [
        {
          title: `PLAY [${name}]`,
          task: (_ctx, playTask) =>
            playTask.newListr(
              [...lines.entries()].map(([host, line]) => ({
                title: host,
                rendererOptions: { persistentOutput: true },
                task: async (_c: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
                  line.task = task as unknown as HostLine['task'];
                  this.render(line);
                  await line.done;
                },
              })),
              { concurrent: true, exitOnError: false },
            ),
        },
      ],
      { exitOnError: false, rendererOptions: { collapseSubtasks: false } } as never,
    );
    this.rendering = this.rendering.then(() => listr.run().then(() => undefined, () => undefined));
  }

  private update(host: string, title?: string, output?: string): void {
    const line = this.hosts.get(host);
    if (!line) return;
    if (title !== undefined) line.title = title;
    if (output !== undefined) line.output = [...line.output.filter((l) => !l.startsWith('» ')), `» ${output}`];
    this.render(line);
  }

  private append(host: string, lines: string[]): void {
    const line = this.hosts.get(host);
    if (!line) return;
    line.output = [...line.output.filter((l) => !l.startsWith('» ')), ...lines];
    this.render(line);
  }

  private render(line: HostLine): void {
    if (!line.task) return;
    line.task.title = line.title;
    line.task.output = line.output.join('\n');
  }
}
