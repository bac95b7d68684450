import {
  completeConsumerEdit,
  consumerVerdict,
  failureReason,
  isRippleError,
  planConsumerEdit,
  type AnalysisCache,
  type ConsumerCode,
  type ConsumerDiscovery,
  type ConsumerEditPlan,
  type ConsumerProposal,
  type DatasetColumn,
  type RewriteCall,
  type UnmatchedDataset,
} from '@ripple/backstage-plugin-ripple-common';
import {
  startEngineWorker,
  type ChangeSpec,
  type Dialect,
  type EngineWorker,
  type FileRewrite,
  type RippleEngine,
} from '@ripple/engine';

export type PreviewResult = {
  consumers: (ConsumerProposal & {
    consumerRef: string;
    discoveredBy: ConsumerDiscovery;
    /** Declared, but its code names the dataset nowhere (the backend's check). */
    warning?: UnmatchedDataset;
  })[];
  /**
   * Whether a consumer is a dbt project: its property files are left out
   * here (the browser's engine cannot rewrite them) but not from patches.
   */
  dbt: boolean;
  /** How long the engine took over every consumer, in milliseconds. */
  millis: number;
  affected: number;
  references: number;
  rewritten: number;
  needsEdit: number;
  errors: number;
};

const SLICE_MS = 25;

/**
 * A proposal with the engine's verdict added to its impact; without one
 * when the engine refuses the code (as the agent's proposals then are).
 */
function withVerdict(
  proposal: ConsumerProposal,
  verdict: () => ReturnType<typeof consumerVerdict>,
): ConsumerProposal {
  try {
    return { ...proposal, impact: { ...proposal.impact, ...verdict() } };
  } catch (error) {
    if (!isRippleError(error)) throw error;
    return proposal;
  }
}

/**
 * The impact of a change on every consumer, computed in the browser by the
 * WebAssembly engine: the same computation as the agent's
 * (`proposeConsumerEdit`), over the code the backend handed over once.
 * Analyses are cached per file, so an edit of the change only reruns the
 * rewrites, which `rewrite` runs (in engine workers when it can).
 */
export async function computePreview(
  engine: RippleEngine,
  change: ChangeSpec,
  code: ConsumerCode[],
  columns: DatasetColumn[],
  cache: AnalysisCache,
  files: (c: ConsumerCode) => { path: string; text: string }[],
  rewrite: PreviewRewriter,
  signal?: AbortSignal,
): Promise<PreviewResult> {
  const started = performance.now();
  const plans: ConsumerEditPlan[] = [];
  let slice = started;
  for (const c of code) {
    plans.push(
      planConsumerEdit(
        engine,
        change,
        {
          files: files(c),
          dialect: c.dialect as Dialect | undefined,
          tableNames: c.tableNames,
        },
        columns,
        cache,
      ),
    );
    // The first preview analyses every file: it gives the page back every
    // few milliseconds, so that typing goes on, and stops when a newer edit
    // makes it useless.
    if (performance.now() - slice > SLICE_MS) {
      await new Promise(resolve => setTimeout(resolve, 0));
      signal?.throwIfAborted();
      slice = performance.now();
    }
  }
  const results = await rewrite.run(
    plans.flatMap((plan, i) =>
      plan.rewrites.map(call => ({ key: `${i}\0${call.path}`, call })),
    ),
  );
  let at = 0;
  const consumers = code.map((c, i) => {
    const done = results.slice(at, (at += plans[i].rewrites.length));
    return {
      consumerRef: c.consumerRef,
      discoveredBy: c.discoveredBy,
      ...(c.warning ? { warning: c.warning } : {}),
      // The backend could not analyse it (an annotation it cannot use, a
      // file the engine fails on): an error, with the backend's words.
      ...(c.error
        ? {
            impact: { files: [], references: 0 },
            diff: '',
            status: 'error' as const,
            reasons: [
              failureReason('', c.errorKind ?? 'engine_failed', c.error),
            ],
            edits: 0,
          }
        : withVerdict(completeConsumerEdit(plans[i], done), () =>
            consumerVerdict(
              engine,
              change,
              {
                files: files(c),
                dialect: c.dialect as Dialect | undefined,
                tableNames: c.tableNames,
              },
              columns,
            ),
          )),
    };
  });
  const millis = performance.now() - started;
  const affected = consumers.filter(c => c.status !== 'unaffected');
  return {
    consumers,
    dbt: code.some(
      c => c.tableNames?.length || c.files.some(f => f.language === 'dbt'),
    ),
    millis,
    affected: affected.length,
    references: consumers.reduce((n, c) => n + c.impact.references, 0),
    rewritten: consumers.filter(c => c.status === 'rewritten').length,
    needsEdit: consumers.filter(c => c.status === 'needs_edit').length,
    errors: consumers.filter(c => c.status === 'error').length,
  };
}

/**
 * Runs a preview's rewrites. Where the browser has cores to spare they are
 * spread over engine workers, one per core beyond two, up to four: the page
 * stays responsive while they run, and an edit's rewrites use those cores.
 * Two cores are left to the page and the browser: on a 2-core machine two
 * workers made each edit slower (median 49-52 ms against 35 ms on the page's
 * thread), as the page, the browser and the workers took turns on the same
 * cores. Each file always goes to the same worker, whose engine keeps the
 * file's analysis between edits. Without workers (2 cores or fewer, tests,
 * a worker that fails to load) the rewrites run on this thread.
 */
export class PreviewRewriter {
  #workers: EngineWorker[] = [];
  #assigned = new Map<string, number>();
  #load: number[] = [];
  #closed = false;

  constructor(
    private readonly engine: RippleEngine,
    workers = typeof Worker === 'undefined'
      ? 0
      : Math.max(0, Math.min(4, (navigator.hardwareConcurrency || 2) - 2)),
  ) {
    try {
      for (let i = 0; i < workers; i++) {
        this.#workers.push(startEngineWorker());
        this.#load.push(0);
      }
    } catch {
      this.close();
    }
  }

  /** The rewrites' results, in the order of `calls`. */
  async run(
    calls: { key: string; call: RewriteCall }[],
  ): Promise<FileRewrite[]> {
    if (this.#workers.length === 0) {
      return calls.map(({ call }) => this.#here(call));
    }
    try {
      return await Promise.all(
        calls.map(({ key, call }) =>
          this.#workers[this.#worker(key, call.text.length)].rewrite(
            call.path,
            call.text,
            call.change,
            call.options,
          ),
        ),
      );
    } catch (e) {
      // The engine's own refusal, or workers closed by their page.
      if ((e as Error).name === 'RippleError' || this.#closed) throw e;
      // A worker failed (it could not load, or died): go on without them.
      this.close();
      return this.run(calls);
    }
  }

  close() {
    this.#closed = true;
    this.#workers.forEach(w => w.terminate());
    this.#workers = [];
  }

  #here(call: RewriteCall): FileRewrite {
    return this.engine.rewrite(call.path, call.text, call.change, call.options);
  }

  // The first time a file is seen it goes to the worker with the least text.
  #worker(key: string, size: number): number {
    let index = this.#assigned.get(key);
    if (index === undefined) {
      index = this.#load.indexOf(Math.min(...this.#load));
      this.#load[index] += size;
      this.#assigned.set(key, index);
    }
    return index;
  }
}

/**
 * The files of each consumer in the shape the engine takes, made once per
 * consumer so that the analysis cache (keyed by the file objects) holds
 * across edits.
 */
export function engineFiles(): (
  c: ConsumerCode,
) => { path: string; text: string }[] {
  const made = new WeakMap<ConsumerCode, { path: string; text: string }[]>();
  return c => {
    let files = made.get(c);
    if (!files) {
      files = c.files.map(f => ({ path: f.path, text: f.content }));
      made.set(c, files);
    }
    return files;
  };
}
