import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// freshen's config-blob cache and its record of notifications sent, one per test run: tests must not read what an earlier
// run (or the user's freshen) kept, nor write to the user's own.
const env = {
  FRESHEN_CACHE_DIR: join(tmpdir(), `freshen-test-cache-${process.pid}`),
  FRESHEN_STATE_DIR: join(tmpdir(), `freshen-test-state-${process.pid}`),
};

/**
 * Integration files that need the lab to themselves, run one at a time after every other file has finished: they change
 * what every file shares (the lab registry's blobs, its upstream image, the lab's own containers, the registry process) or
 * read what every file writes (every engine's events). Every other integration file keeps to containers, repositories,
 * rollout tags, ports and swarm services of its own, so they run side by side (test/support/fileIsolation.ts gives each its
 * own run lock and guard directory).
 */
export const LAB_ALONE = [
  'lab', // lab.sh up twice at once, the registry stopped and started, a registry-wide garbage-collect, publish-upstream
  'steps-gc', // a registry-wide sweep of the lab registry, which would take blobs other files are pushing
  'demo', // publish-upstream, and a rollout of the lab's own containers
  'status', // publish-upstream, and a rollout of the lab's own containers
  'check-readonly', // every engine's event stream, in which any other file's work would count as a write
].map((name) => `test/integration/${name}.test.ts`);

/**
 * Files run side by side in the integration project, and with the unit files (projects of one group share a worker count).
 * Three, not more: on two cores the suite is bound by CPU (health-check probes, container starts, apt, Node), not by its
 * waits, and six at a time thrashed and took longer than three.
 */
const WORKERS = 3;

/**
 * The integration files that take longest, longest first (quiet CI, 393e0dc: 215 s down to 71 s). They start first, so the
 * files still running when the others are done are short ones. Without this a fresh clone (no timings from an earlier run)
 * starts the largest files first, and the longest, patch.test.ts, was ninth.
 */
const LONGEST_FIRST = [
  'patch',
  'rollout-guard',
  'service-swarm',
  'rebase',
  'recreate',
  'debian',
  'patch-cycles',
  'retention-cycles',
  'steps-rollout',
  'package',
  'rollout-interrupt',
  'rollout-staged',
  'staleness',
].map((name) => `test/integration/${name}.test.ts`);

/** vitest's order (group, project, then timings or size), with LONGEST_FIRST moved to the front of their project. */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification): number => {
      const index = LONGEST_FIRST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    const order = await super.sort(files);
    const position = new Map(order.map((file, index) => [file, index]));
    // Only files of one project trade places: groups and projects keep vitest's order.
    const projectStart = new Map<unknown, number>();
    order.forEach((file, index) => projectStart.set(file.project, projectStart.get(file.project) ?? index));
    const project = (file: TestSpecification): number => projectStart.get(file.project)!;
    return [...order].sort((a, b) => project(a) - project(b) || rank(a) - rank(b) || position.get(a)! - position.get(b)!);
  }
}

/** What both integration projects share: the lab brought up once, each file's own lock and guard directory, lab-sized time-outs. */
const integration = {
  globalSetup: ['test/support/labSetup.ts'],
  setupFiles: ['test/support/fileIsolation.ts'],
  testTimeout: 180_000,
  hookTimeout: 600_000,
  env,
};

export default defineConfig({
  test: {
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Unit files run freshen against the same made-up host names side by side, so each needs its own run lock too.
          setupFiles: ['test/support/fileIsolation.ts'],
          maxWorkers: WORKERS,
          // One worker's loaded modules serve all the files it runs: isolated, each file loaded src/ and its libraries again,
          // and the unit files took 102 CPU-s instead of 39 (64 s instead of 34 s alone). What src/ keeps per process (the
          // run's secrets, the Docker credentials read) is forgotten after each file by fileIsolation.ts.
          isolate: false,
          // A guard against a hang, not a speed limit: beside the integration files and on a busy machine, a test that takes
          // 50 ms alone can take seconds (vitest's 5 s default timed one out).
          testTimeout: 60_000,
          env,
        },
      },
      {
        test: {
          ...integration,
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: LAB_ALONE,
          maxWorkers: WORKERS,
        },
      },
      {
        test: {
          ...integration,
          name: 'integration-alone',
          include: LAB_ALONE,
          sequence: { groupOrder: 1 },
          fileParallelism: false,
        },
      },
    ],
  },
});
