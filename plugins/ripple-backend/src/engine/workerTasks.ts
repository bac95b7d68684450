import type {
  ChangeSpec,
  DatasetColumn,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import type { ConsumerCode } from '../agent/ConsumerSources';
import { type Proposal, proposePatch } from '../agent/proposePatch';
import { type CodeSummary, summarizeCode } from '../consumerIndex/codeSummary';

/** The argument of the `propose` task: {@link proposePatch}'s. */
export type ProposeArgs = {
  change: ChangeSpec;
  code: ConsumerCode;
  columns: DatasetColumn[];
  /** The consumer's entity ref, named in the reasons of an engine error. */
  consumerRef: string;
};

/**
 * The engine's work an {@link EnginePool}'s workers do, by name. Each task
 * takes the worker's engine and one plain argument, and returns a plain
 * result: both cross `postMessage`, so they must survive structured cloning
 * (no functions, no class instances, no engine objects). The same function
 * runs inline when the pool has no workers, so a task must not depend on
 * where it runs.
 *
 * Adding a task is one entry here plus one typed method on `EnginePool`
 * (`summarize(args) { return this.run('summarize', args); }`): the worker
 * entry point (engineWorker.ts) dispatches by name and needs no change.
 */
export const workerTasks = {
  propose: (engine: RippleEngine, args: ProposeArgs): Proposal =>
    proposePatch(
      engine,
      args.change,
      args.code,
      args.columns,
      args.consumerRef,
    ),
  /** The consumer index's summary of one location's code. */
  summarize: (engine: RippleEngine, code: ConsumerCode): CodeSummary =>
    summarizeCode(engine, code),
} satisfies Record<string, (engine: RippleEngine, args: never) => unknown>;

export type WorkerTasks = typeof workerTasks;
export type TaskName = keyof WorkerTasks;
export type TaskArgs<K extends TaskName> = Parameters<WorkerTasks[K]>[1];
export type TaskResult<K extends TaskName> = ReturnType<WorkerTasks[K]>;

/** What the pool posts to a worker. */
export type TaskMessage = { task: string; args: unknown };

/**
 * An error as it crosses `postMessage`: structured cloning keeps an Error's
 * message but drops its name (but for the built-in ones) and the engine's
 * own fields (`kind`, positions), which the callers test
 * (`isRippleError`, `error.kind`). So it travels as a plain object, as
 * `@ripple/engine`'s own worker does (packages/engine/worker.js).
 */
export type CrossingError = {
  name: string;
  message: string;
  stack?: string;
  [field: string]: unknown;
};

/**
 * A worker's answer, with the version of the engine that made it: the pool
 * refuses an answer from another engine than the plugin's, whose version
 * every patch records.
 */
export type TaskAnswer = { engineVersion: string } & (
  | { result: unknown }
  | { error: CrossingError }
);

/** Runs one task on an engine; what engineWorker.ts does for each message. */
export function answerTask(
  engine: RippleEngine,
  { task, args }: TaskMessage,
): TaskAnswer {
  const engineVersion = engine.version();
  if (!Object.hasOwn(workerTasks, task)) {
    return {
      engineVersion,
      error: { name: 'Error', message: `no engine task named ${task}` },
    };
  }
  try {
    const run = workerTasks[task as TaskName] as (
      e: RippleEngine,
      a: unknown,
    ) => unknown;
    return { engineVersion, result: run(engine, args) };
  } catch (error) {
    return { engineVersion, error: toCrossing(error) };
  }
}

/** An error as it crosses `postMessage` ({@link CrossingError}). */
export function toCrossing(error: unknown): CrossingError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: String(error) };
  }
  // Own enumerable fields are the engine's (kind, line, column...).
  return {
    ...(error as unknown as Record<string, unknown>),
    name: error.name,
    message: error.message,
    stack: error.stack,
  };
}

/** The error a worker threw, as the caller's Error again (same name and fields). */
export function fromCrossing(error: CrossingError): Error {
  const { stack, ...fields } = error;
  const revived = Object.assign(new Error(error.message), fields);
  // The worker's stack says where the engine was called from.
  if (stack) revived.stack = stack;
  return revived;
}
