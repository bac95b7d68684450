import { createHash } from 'node:crypto';
import { Knex } from 'knex';
import type { LineageName } from '../lineage/naming';
import type {
  LineageJobDataset,
  LineageRun,
  LineageRunEvent,
  LineageRunState,
  LineageStore,
} from './LineageStore';
import { timestamp } from './rows';

const FINISHED: LineageRunState[] = ['COMPLETE', 'FAIL', 'ABORT'];

/** A SHA-256 of names, so that rows are found without indexing long names. */
function key(...parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function jobKey(job: LineageName): string {
  return key(job.namespace, job.name);
}

type RunRow = {
  run_id: string;
  job_key: string;
  job_namespace: string;
  job_name: string;
  state: LineageRunState;
  state_event_time: Date | string | number;
  started_at: Date | string | number | null;
  ended_at: Date | string | number | null;
  output_rows: number | string | null;
  error_message: string | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
};

const time = (value: Date | string | number) => new Date(timestamp(value));

function toRun(row: RunRow): LineageRun {
  return {
    runId: row.run_id,
    job: { namespace: row.job_namespace, name: row.job_name },
    state: row.state,
    ...(row.started_at !== null ? { startedAt: time(row.started_at) } : {}),
    ...(row.ended_at !== null ? { endedAt: time(row.ended_at) } : {}),
    // bigint: PostgreSQL returns it as a string.
    ...(row.output_rows !== null
      ? { outputRows: Number(row.output_rows) }
      : {}),
    ...(row.error_message !== null ? { errorMessage: row.error_message } : {}),
    updatedAt: time(row.updated_at),
  };
}

/**
 * The run after one more event. The state is that of the event of the
 * highest rank (a finished state over START, RUNNING and OTHER), the later
 * one within a rank; a tie keeps what is there, so a replay changes
 * nothing and a START arriving after the COMPLETE does not undo it.
 */
export function mergeRunEvent(
  run: Omit<LineageRun, 'updatedAt'> & { stateEventTime: Date },
  event: LineageRunEvent,
): Omit<LineageRun, 'updatedAt'> & { stateEventTime: Date } {
  const rank = (state: LineageRunState) => (FINISHED.includes(state) ? 1 : 0);
  const wins =
    rank(event.eventType) > rank(run.state) ||
    (rank(event.eventType) === rank(run.state) &&
      event.eventTime.getTime() > run.stateEventTime.getTime());
  const merged = { ...run };
  if (wins) {
    merged.state = event.eventType;
    merged.stateEventTime = event.eventTime;
    if (FINISHED.includes(event.eventType)) {
      merged.endedAt = event.eventTime;
    }
  }
  if (
    event.eventType === 'START' &&
    (!run.startedAt || event.eventTime.getTime() < run.startedAt.getTime())
  ) {
    merged.startedAt = event.eventTime;
  }
  if (
    event.outputRows !== undefined &&
    (wins || run.outputRows === undefined)
  ) {
    merged.outputRows = event.outputRows;
  }
  if (
    event.errorMessage !== undefined &&
    (wins || run.errorMessage === undefined)
  ) {
    merged.errorMessage = event.errorMessage;
  }
  return merged;
}

/** {@link LineageStore} on the plugin's database (tables of migrations/20261230_openlineage.js). */
export class DatabaseLineageStore implements LineageStore {
  constructor(private readonly db: Knex) {}

  async recordEvent(event: LineageRunEvent): Promise<LineageRun> {
    const now = new Date();
    const run = await this.db.transaction(async trx => {
      // The first event inserts the run; two racing first events are
      // inserted once, and the row lock orders their merges (PostgreSQL;
      // SQLite runs one writing transaction at a time).
      await trx('openlineage_run')
        .insert({
          run_id: event.runId,
          job_key: jobKey(event.job),
          job_namespace: event.job.namespace,
          job_name: event.job.name,
          state: 'OTHER',
          // Older than any event, so the first one's state always wins.
          state_event_time: new Date(0),
          started_at: null,
          ended_at: null,
          output_rows: null,
          error_message: null,
          created_at: now,
          updated_at: now,
        })
        .onConflict('run_id')
        .ignore();
      const query = trx<RunRow>('openlineage_run').where('run_id', event.runId);
      if (trx.client.config.client === 'pg') query.forUpdate();
      const row = (await query.first())!;
      const before = {
        ...toRun(row),
        stateEventTime: time(row.state_event_time),
      };
      const after = mergeRunEvent(before, event);
      const fields = [
        'state',
        'stateEventTime',
        'startedAt',
        'endedAt',
        'outputRows',
        'errorMessage',
      ] as const;
      if (fields.every(f => String(before[f]) === String(after[f]))) {
        // The same event again, or one that loses to what is there.
        return toRun(row);
      }
      await trx('openlineage_run')
        .where('run_id', event.runId)
        .update({
          state: after.state,
          state_event_time: after.stateEventTime,
          started_at: after.startedAt ?? null,
          ended_at: after.endedAt ?? null,
          output_rows: after.outputRows ?? null,
          error_message: after.errorMessage ?? null,
          updated_at: now,
        });
      const { stateEventTime: _, ...merged } = after;
      return { ...merged, updatedAt: now };
    });
    const datasets = [
      ...event.inputs.map(d => ({ d, direction: 'input' })),
      ...event.outputs.map(d => ({ d, direction: 'output' })),
    ];
    for (const { d, direction } of datasets) {
      await this.db('openlineage_job_dataset')
        .insert({
          id: key(
            event.job.namespace,
            event.job.name,
            d.namespace,
            d.name,
            direction,
          ),
          job_key: jobKey(event.job),
          job_namespace: event.job.namespace,
          job_name: event.job.name,
          dataset_namespace: d.namespace,
          dataset_name: d.name,
          direction,
          last_seen_at: now,
        })
        .onConflict('id')
        .merge(['last_seen_at']);
    }
    return run;
  }

  async listRuns(
    jobs: LineageName[],
    options?: { updatedSince?: Date; limit?: number },
  ): Promise<LineageRun[]> {
    if (!jobs.length) return [];
    const query = this.db<RunRow>('openlineage_run')
      .whereIn('job_key', jobs.map(jobKey))
      .orderBy('updated_at', 'desc')
      .limit(options?.limit ?? 1000);
    if (options?.updatedSince) {
      query.where('updated_at', '>=', options.updatedSince);
    }
    return (await query).map(toRun);
  }

  async lastComplete(
    jobs: LineageName[],
    before?: Date,
  ): Promise<LineageRun | undefined> {
    if (!jobs.length) return undefined;
    const query = this.db<RunRow>('openlineage_run')
      .whereIn('job_key', jobs.map(jobKey))
      .where('state', 'COMPLETE')
      .whereNotNull('ended_at')
      .orderBy('ended_at', 'desc')
      .first();
    if (before) query.where('ended_at', '<', before);
    const row = await query;
    return row && toRun(row);
  }

  async listJobDatasets(options: {
    lastPart: string;
    direction?: 'input' | 'output';
  }): Promise<LineageJobDataset[]> {
    // A prefilter: `_` and `%` of the name match loosely here, and the
    // dataset naming rules decide (lineage/naming.ts).
    const query = this.db('openlineage_job_dataset')
      .whereRaw('lower(dataset_name) like ?', [
        `%${options.lastPart.toLocaleLowerCase('en-US')}`,
      ])
      .orderBy('last_seen_at', 'desc')
      .limit(10_000);
    if (options.direction) query.where('direction', options.direction);
    return (await query).map(toJobDataset);
  }

  async inputsOf(jobs: LineageName[]): Promise<LineageJobDataset[]> {
    if (!jobs.length) return [];
    const rows = await this.db('openlineage_job_dataset')
      .whereIn('job_key', jobs.map(jobKey))
      .where('direction', 'input');
    return rows.map(toJobDataset);
  }

  async datasetsOf(jobs: LineageName[]): Promise<LineageJobDataset[]> {
    if (!jobs.length) return [];
    const rows = await this.db('openlineage_job_dataset').whereIn(
      'job_key',
      jobs.map(jobKey),
    );
    return rows.map(toJobDataset);
  }

  async prune(before: Date): Promise<{ runs: number; jobDatasets: number }> {
    const runs = await this.db('openlineage_run')
      .where('updated_at', '<', before)
      .delete();
    const jobDatasets = await this.db('openlineage_job_dataset')
      .where('last_seen_at', '<', before)
      .delete();
    return { runs, jobDatasets };
  }
}

function toJobDataset(row: {
  job_namespace: string;
  job_name: string;
  dataset_namespace: string;
  dataset_name: string;
  direction: 'input' | 'output';
  last_seen_at: Date | string | number;
}): LineageJobDataset {
  return {
    job: { namespace: row.job_namespace, name: row.job_name },
    dataset: { namespace: row.dataset_namespace, name: row.dataset_name },
    direction: row.direction,
    lastSeenAt: time(row.last_seen_at),
  };
}
