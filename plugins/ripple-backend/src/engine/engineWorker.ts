import { loadEngine } from '@ripple/engine';
import { answerTask, type TaskAnswer, type TaskMessage } from './workerTasks';

/*
 * The entry point of an EnginePool's worker threads (piscina requires this
 * file and calls its default export for each task). Each worker has its own
 * engine, a WebAssembly instance of its own, loaded once when the worker
 * starts. It is a `package.json` export (`./engineWorker`) so that
 * `backstage-cli package build` emits it into dist/ beside the rest of the
 * plugin.
 */

const engine = loadEngine();

/** Runs one of workerTasks.ts's tasks on this worker's engine. */
export default async function engineTask(
  message: TaskMessage,
): Promise<TaskAnswer> {
  return answerTask(await engine, message);
}
