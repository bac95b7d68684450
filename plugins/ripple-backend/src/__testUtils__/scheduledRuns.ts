import type { Server } from 'node:http';
import request from 'supertest';

/**
 * Waits until the plugin's scheduled task `taskId` has run once, from start
 * to end, after this call. A test that asserts that something does not
 * happen ("not delivered before its approval", "nothing more happens") then
 * rests on the scheduler's own runs, not on a sleep whose length a loaded
 * machine makes wrong either way.
 *
 * It reads the task's state through the scheduler's route
 * (`/.backstage/scheduler/v1/tasks`): the first run seen ending after the
 * call may have started before it, but the next one began after that end.
 * Global tasks run one at a time, even across replicas.
 */
export async function waitForWholeRun(
  server: Server,
  options: {
    pluginId?: string;
    taskId: string;
    headers: Record<string, string>;
    timeoutMs?: number;
  },
): Promise<void> {
  const { pluginId = 'ripple', taskId, headers, timeoutMs = 60_000 } = options;
  const since = Date.now();
  const deadline = since + timeoutMs;
  let firstEnd: number | undefined;
  for (;;) {
    const res = await request(server)
      .get(`/api/${pluginId}/.backstage/scheduler/v1/tasks`)
      .set(headers);
    if (res.status !== 200) {
      throw new Error(
        `GET the scheduler's tasks of ${pluginId}: ${res.status} ${res.text}`,
      );
    }
    const task = (res.body.tasks as any[]).find(t => t.taskId === taskId);
    if (!task) throw new Error(`${pluginId} has no scheduled task ${taskId}`);
    const endedAt = task.taskState?.lastRunEndedAt
      ? Date.parse(task.taskState.lastRunEndedAt)
      : undefined;
    // Timestamps in the database may be whole seconds: a run that ended
    // just after the call can read as before it, and is then skipped.
    if (endedAt !== undefined && endedAt > since) {
      if (firstEnd === undefined) firstEnd = endedAt;
      else if (endedAt > firstEnd) return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for a whole run of ${pluginId}'s ${taskId} task`,
      );
    }
    await new Promise(r => setTimeout(r, 100));
  }
}
