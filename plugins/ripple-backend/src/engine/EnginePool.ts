import type { Config } from '@backstage/config';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Proposal } from '../agent/proposePatch';
import type { ConsumerCode } from '../agent/ConsumerSources';
import type { CodeSummary } from '../consumerIndex/codeSummary';
import { loadEngine, type RippleEngine } from '@ripple/engine';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import {
  fromCrossing,
  type ProposeArgs,
  type TaskAnswer,
  type TaskArgs,
  type TaskMessage,
  type TaskName,
  type TaskResult,
  workerTasks,
} from './workerTasks';

// Tasks waiting for a worker, per worker, before `run` refuses more: the
// callers keep a few in flight each (EnginePool.concurrency), so reaching it
// means something queues without bound.
const QUEUE_PER_WORKER = 64;
// A worker idle this long exits; the next task starts one again (its
// engine loads in a fraction of a second).
const IDLE_TIMEOUT_MS = 5 * 60_000;

/**
 * The engine off the event loop (docs/backend.md, "Engine workers"): the
 * tasks of workerTasks.ts run on a pool of worker threads (piscina: its
 * queue, its back-pressure and its replacing of a worker that dies), each
 * worker with its own engine, so that analysing thousands of consumers does
 * not hold up the requests the backend serves.
 *
 * The pool runs the plugin's engine, whose version every patch records. The
 * workers load `@ripple/engine`; when the plugin's engine is another build
 * (`rippleEngineServiceRef` replaced: the canary's tests, a portal trying
 * its own build), the tasks run inline on that engine instead, and a
 * worker's answer made by another engine version is never used. With
 * `ripple.engine.workers: 0` everything runs inline, as before the pool.
 */
export class EnginePool {
  /** A pool of no workers: every task runs inline on `engine`. */
  static inline(engine: RippleEngine): EnginePool {
    return new EnginePool(engine, undefined);
  }

  /**
   * A pool of `workers` threads for `engine` (inline when `engine` is not
   * `@ripple/engine`'s own build, or `workers` is 0).
   */
  static async create(options: {
    engine: RippleEngine;
    workers: number;
    logger?: LoggerService;
  }): Promise<EnginePool> {
    const { engine, workers, logger } = options;
    if (!Number.isInteger(workers) || workers < 0) {
      throw new Error(
        `ripple.engine.workers must be a whole number, 0 or more; got ${workers}`,
      );
    }
    if (workers === 0) return EnginePool.inline(engine);
    // The object loadEngine() resolves to is the package's one instance:
    // any other is a replaced engine, which the workers do not have.
    if (engine !== (await loadEngine())) {
      logger?.info(
        `Ripple's engine ${engine.version()} is not @ripple/engine's build that the engine workers load: it runs inline, on the event loop`,
      );
      return EnginePool.inline(engine);
    }
    return new EnginePool(engine, startWorkers(workers), logger);
  }

  /** {@link EnginePool.create} sized by `ripple.engine.workers`. */
  static fromConfig(
    config: Config,
    engine: RippleEngine,
    logger?: LoggerService,
  ): Promise<EnginePool> {
    return EnginePool.create({
      engine,
      workers:
        config.getOptionalNumber('ripple.engine.workers') ??
        os.availableParallelism(),
      logger,
    });
  }

  private constructor(
    /** The engine every task runs on (or a worker's copy of the same build). */
    readonly engine: RippleEngine,
    private piscina: Piscina<TaskMessage, TaskAnswer> | undefined,
    private readonly logger?: LoggerService,
  ) {}

  /** Worker threads at most; 0 when the tasks run inline. */
  get workers(): number {
    return this.piscina?.maxThreads ?? 0;
  }

  /**
   * How many tasks a caller keeps in flight to keep every worker busy (one
   * running and one waiting each, so a worker never waits for the event
   * loop between two). 1 inline: a task then runs as it is asked.
   */
  get concurrency(): number {
    return Math.max(1, this.workers * 2);
  }

  /** The worker threads running now (a worker starts with its first task). */
  get threads(): readonly { threadId: number; terminate(): Promise<number> }[] {
    return this.piscina?.threads ?? [];
  }

  /** {@link proposePatch} for one consumer. */
  propose(args: ProposeArgs): Promise<Proposal> {
    return this.run('propose', args);
  }

  /** The consumer index's summary of one location's code ({@link summarizeCode}). */
  summarize(code: ConsumerCode): Promise<CodeSummary> {
    return this.run('summarize', code);
  }

  /**
   * Runs a task of workerTasks.ts on a worker (inline without workers). A
   * RippleError thrown by the engine rejects as a RippleError (its name,
   * kind and fields); a worker that dies rejects the tasks it was running,
   * and piscina starts another for the next ones.
   */
  async run<K extends TaskName>(
    task: K,
    args: TaskArgs<K>,
  ): Promise<TaskResult<K>> {
    const piscina = this.piscina;
    if (!piscina) return this.inline(task, args);
    let answer: TaskAnswer;
    try {
      answer = await piscina.run({ task, args });
    } catch (error) {
      throw new Error(
        `Ripple's engine worker failed on its ${task} task: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    const version = this.engine.version();
    if (answer.engineVersion !== version) {
      // Never a patch stamped with one version and made by another: from
      // now on the plugin's own engine does the work.
      this.logger?.error(
        `An engine worker runs engine ${answer.engineVersion}, not the plugin's ${version}: the engine runs inline from now on`,
      );
      if (this.piscina === piscina) {
        this.piscina = undefined;
        piscina.destroy().catch(() => {});
      }
      return this.inline(task, args);
    }
    if ('error' in answer) throw fromCrossing(answer.error);
    return answer.result as TaskResult<K>;
  }

  private async inline<K extends TaskName>(
    task: K,
    args: TaskArgs<K>,
  ): Promise<TaskResult<K>> {
    const run = workerTasks[task] as (
      engine: RippleEngine,
      a: TaskArgs<K>,
    ) => TaskResult<K>;
    return run(this.engine, args);
  }

  /** Stops the workers; tasks still queued or running reject. */
  async destroy(): Promise<void> {
    const piscina = this.piscina;
    this.piscina = undefined;
    await piscina?.destroy();
  }
}

function startWorkers(workers: number): Piscina<TaskMessage, TaskAnswer> {
  return new Piscina<TaskMessage, TaskAnswer>({
    ...workerEntry(),
    // Workers start with the first task, not with the backend: most
    // backends (and every test that does not analyse) never need them.
    minThreads: 0,
    maxThreads: workers,
    idleTimeout: IDLE_TIMEOUT_MS,
    maxQueue: workers * QUEUE_PER_WORKER,
  });
}

/**
 * Where the worker's code is: the package's `./engineWorker` export,
 * resolved from this module (a package resolves its own exports by name,
 * so it is always this copy's). Published, it is dist/engineWorker.cjs.js,
 * which `backstage-cli package build` emits for the export. In the monorepo
 * (Jest, `backstage-cli package start`, the dev portal) the package runs
 * from src/*.ts and the export is src/engine/engineWorker.ts: the worker
 * then loads TypeScript through the Backstage CLI's Node transform, as the
 * CLI's own processes do (`node --require
 * @backstage/cli/config/nodeTransform.cjs`).
 */
function workerEntry(): { filename: string; execArgv?: string[] } {
  const filename = require.resolve(
    '@ripple/backstage-plugin-ripple-backend/engineWorker',
  );
  if (path.extname(filename) === '.ts') {
    return {
      filename,
      execArgv: [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      ],
    };
  }
  // (The workers inherit the backend's Node options, as Node's do.)
  return { filename };
}
