import type {
  ConsumerCode as ConsumerCodeResponse,
  Dataset,
} from '@ripple/backstage-plugin-ripple-common';
import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import type { ConsumerCode } from './ConsumerSources';
import { analyzeFile, tableNames } from './proposePatch';
import { unmatchedDataset } from './unmatched';

/** A candidate consumer of a dataset, with its code as the agent read it. */
export type CandidateCode = {
  consumerRef: string;
  /** It declares `dependsOn` the dataset. */
  declared: boolean;
  /** Absent when the entity says nowhere where its code is. */
  code?: ConsumerCode;
  /** An annotation of the entity Ripple cannot use; its code is not read. */
  invalid?: string;
};

/**
 * The code of a dataset's consumers without a change
 * (`GET /datasets/{datasetRef}/code`): the declared consumers, and the other
 * candidates whose code reads the dataset's table. A consumer Ripple cannot
 * analyse (an annotation it cannot use, a file the engine fails on) is
 * listed with its error and no files, and the others are still served. A
 * declared consumer whose code names the dataset nowhere has a `warning`.
 */
export async function datasetCode(
  engine: Pick<RippleEngine, 'analyze' | 'unmatchedDataset'>,
  dataset: Dataset,
  candidates: AsyncIterable<CandidateCode>,
): Promise<ConsumerCodeResponse[]> {
  const consumers: ConsumerCodeResponse[] = [];
  for await (const { consumerRef, declared, code, invalid } of candidates) {
    const discoveredBy = declared ? 'catalog' : 'code';
    if (invalid) {
      consumers.push({
        consumerRef,
        discoveredBy,
        files: [],
        error: invalid,
        errorKind: 'unusable_annotation',
      });
      continue;
    }
    if (!code) {
      consumers.push({ consumerRef, discoveredBy: 'catalog', files: [] });
      continue;
    }
    const names = tableNames(code, dataset.table);
    const dialect = code.dialect ?? dataset.dialect ?? 'generic';
    const failures: string[] = [];
    const files = code.files.flatMap(file => {
      try {
        return [
          {
            file,
            ...analyzeFile(engine, file, {
              dialect,
              table: dataset.table,
              columns: dataset.columns,
              tableNames: names,
            }),
          },
        ];
      } catch (error) {
        if (!isRippleError(error)) throw error;
        failures.push(
          `${consumerRef}: ${file.path}: the engine failed: ${error.message}`,
        );
        return [];
      }
    });
    if (failures.length) {
      consumers.push({
        consumerRef,
        discoveredBy,
        files: [],
        error: failures.join('; '),
        errorKind: 'engine_failed',
      });
    } else if (declared || files.some(f => f.reads)) {
      const warning = files.some(f => f.reads)
        ? undefined
        : unmatchedDataset(engine, dataset.table, code, dialect);
      consumers.push({
        consumerRef,
        discoveredBy,
        ...(code.dialect ? { dialect: code.dialect } : {}),
        ...(names.length ? { tableNames: names } : {}),
        files: files.map(({ file, analysis }) => ({
          path: file.path,
          language: analysis.language,
          content: file.text,
        })),
        ...(warning ? { warning } : {}),
      });
    }
  }
  return consumers;
}
