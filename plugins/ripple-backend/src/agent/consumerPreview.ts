import type {
  ChangeSpec,
  ConsumerDiscovery,
  DatasetColumn,
  UnmatchedDataset,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import type { EnginePool } from '../engine/EnginePool';
import type { CandidateCode } from './datasetCode';
import { invalidEntityProposal, type Proposal } from './proposePatch';
import { unmatchedDataset } from './unmatched';

/** A consumer of a change, and the engine's proposal for its code. */
export type ConsumerPreview = {
  consumerRef: string;
  discoveredBy: ConsumerDiscovery;
  /** Absent when the entity says nowhere where its code is. */
  proposal?: Proposal;
  /**
   * Why a candidate that does not declare it reads the dataset was skipped
   * (an annotation Ripple cannot use, code the engine failed on): it is not
   * a consumer, and the analysis records it on the timeline.
   */
  skipped?: string;
  /** A declared consumer whose code files name the dataset nowhere. */
  warning?: UnmatchedDataset;
};

/**
 * One candidate of a change, as the agent's preview and analysis see it:
 * its proposal (on the engine pool's workers), or why it was skipped;
 * undefined when it is not a consumer.
 */
export async function consumerPreview(
  deps: { pool: EnginePool; engine: RippleEngine },
  { consumerRef, declared, code, invalid }: CandidateCode,
  change: ChangeSpec,
  columns: DatasetColumn[],
): Promise<ConsumerPreview | undefined> {
  // A declared consumer Ripple cannot analyse gets an `error` patch
  // saying why, for a person; an undeclared candidate is skipped.
  if (invalid) {
    return declared
      ? {
          consumerRef,
          discoveredBy: 'catalog',
          proposal: invalidEntityProposal(invalid),
        }
      : { consumerRef, discoveredBy: 'code', skipped: invalid };
  }
  if (!code) {
    return { consumerRef, discoveredBy: 'catalog' };
  }
  const proposal = await deps.pool.propose({
    change,
    code,
    columns,
    consumerRef,
  });
  if (!declared && proposal.failed) {
    return { consumerRef, discoveredBy: 'code', skipped: proposal.failed };
  }
  if (!declared && proposal.impact.files.length === 0) {
    return undefined;
  }
  // (Code that reads the dataset names it: no need to ask.) Rare (a
  // declared consumer whose code names the dataset nowhere): inline.
  const warning =
    declared && !proposal.failed && proposal.impact.files.length === 0
      ? unmatchedDataset(
          deps.engine,
          change.dataset,
          code,
          code.dialect ?? change.dialect ?? 'generic',
        )
      : undefined;
  return {
    consumerRef,
    discoveredBy: declared ? 'catalog' : 'code',
    proposal,
    ...(warning ? { warning } : {}),
  };
}
