import type { LineageName } from '../lineage/naming';

/** OpenLineage's run states, the `eventType`s of RunEvents. */
export type LineageRunState =
  | 'START'
  | 'RUNNING'
  | 'COMPLETE'
  | 'ABORT'
  | 'FAIL'
  | 'OTHER';

/** What Ripple keeps of one RunEvent: no facet, only these values. */
export type LineageRunEvent = {
  runId: string;
  /** Absent in the event: `OTHER`. */
  eventType: LineageRunState;
  eventTime: Date;
  job: LineageName;
  inputs: LineageName[];
  outputs: LineageName[];
  /** The sum of the outputs' `outputStatistics.rowCount`, when any has one. */
  outputRows?: number;
  /** The `errorMessage` run facet's message. */
  errorMessage?: string;
};

/** A run as its events so far tell it. */
export type LineageRun = {
  runId: string;
  job: LineageName;
  state: LineageRunState;
  /** The START event's time. */
  startedAt?: Date;
  /** The time of the event that finished it (COMPLETE, FAIL, ABORT). */
  endedAt?: Date;
  outputRows?: number;
  errorMessage?: string;
  /** When an event last changed the run, by the server's clock. */
  updatedAt: Date;
};

/** A dataset a job reads (`input`) or writes (`output`). */
export type LineageJobDataset = {
  job: LineageName;
  dataset: LineageName;
  direction: 'input' | 'output';
  lastSeenAt: Date;
};

/** The OpenLineage runs and job datasets the OpenLineage health provider reads. */
export interface LineageStore {
  /**
   * Merges an event into its run (inserted by the first one): a finished
   * state outranks START and RUNNING whatever the order, a later event of
   * the same rank wins, and the same event twice changes nothing. Records
   * the job's datasets. Returns the run after the event.
   */
  recordEvent(event: LineageRunEvent): Promise<LineageRun>;
  /**
   * The runs of these jobs that an event changed since `updatedSince`,
   * newest first (at most `limit`, default 1,000).
   */
  listRuns(
    jobs: LineageName[],
    options?: { updatedSince?: Date; limit?: number },
  ): Promise<LineageRun[]>;
  /** The latest COMPLETE run of these jobs that ended before `before` (default: any). */
  lastComplete(
    jobs: LineageName[],
    before?: Date,
  ): Promise<LineageRun | undefined>;
  /**
   * The jobs' datasets whose name's last part is `lastPart` (case
   * insensitive), the candidates for a dataset's naming rules to match.
   */
  listJobDatasets(options: {
    lastPart: string;
    direction?: 'input' | 'output';
  }): Promise<LineageJobDataset[]>;
  /** The inputs of these jobs. */
  inputsOf(jobs: LineageName[]): Promise<LineageJobDataset[]>;
  /** The datasets these jobs read and write (the upstream-first order). */
  datasetsOf(jobs: LineageName[]): Promise<LineageJobDataset[]>;
  /** Deletes runs and job datasets last changed before `before`. */
  prune(before: Date): Promise<{ runs: number; jobDatasets: number }>;
}
