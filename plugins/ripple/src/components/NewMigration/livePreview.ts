import {
  proposeConsumerEdit,
  type AnalysisCache,
  type ConsumerCode,
  type ConsumerDiscovery,
  type ConsumerProposal,
  type DatasetColumn,
} from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, Dialect, RippleEngine } from '@ripple/engine';

export type PreviewResult = {
  consumers: (ConsumerProposal & {
    consumerRef: string;
    discoveredBy: ConsumerDiscovery;
  })[];
  /** How long the engine took over every consumer, in milliseconds. */
  millis: number;
  affected: number;
  references: number;
  rewritten: number;
  needsReview: number;
  errors: number;
};

/**
 * The impact of a change on every consumer, computed in the browser by the
 * WebAssembly engine: the same computation as the agent's
 * (`proposeConsumerEdit`), over the code the backend handed over once.
 * Analyses are cached per file, so an edit of the change only reruns the
 * rewrite.
 */
export function computePreview(
  engine: RippleEngine,
  change: ChangeSpec,
  code: ConsumerCode[],
  columns: DatasetColumn[],
  cache: AnalysisCache,
  files: (c: ConsumerCode) => { path: string; text: string }[],
): PreviewResult {
  const started = performance.now();
  const consumers = code.map(c => ({
    consumerRef: c.consumerRef,
    discoveredBy: c.discoveredBy,
    ...proposeConsumerEdit(
      engine,
      change,
      { files: files(c), dialect: c.dialect as Dialect | undefined, tableNames: c.tableNames },
      columns,
      cache,
    ),
  }));
  const millis = performance.now() - started;
  const affected = consumers.filter(c => c.status !== 'unaffected');
  return {
    consumers,
    millis,
    affected: affected.length,
    references: consumers.reduce((n, c) => n + c.impact.references, 0),
    rewritten: consumers.filter(c => c.status === 'rewritten').length,
    needsReview: consumers.filter(c => c.status === 'needs_review').length,
    errors: consumers.filter(c => c.status === 'error').length,
  };
}

/**
 * The files of each consumer in the shape the engine takes, made once per
 * consumer so that the analysis cache (keyed by the file objects) holds
 * across edits.
 */
export function engineFiles(): (c: ConsumerCode) => { path: string; text: string }[] {
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
