import type { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { RippleEngine } from '@ripple/engine';
import { entityDialect, InvalidAnnotationError } from './annotations';
import type { Candidate, ConsumerFinder } from './ConsumerFinder';
import type { ConsumerSources } from './ConsumerSources';
import type { CandidateCode } from './datasetCode';

// Candidates read ahead at once.
const CONCURRENCY = 8;

/**
 * The candidates of a dataset with their code (undefined when the entity
 * says nowhere where it is; only declared ones are kept then). Code that
 * cannot be read fails when the entity declares it depends on the
 * dataset, and is skipped (logged) otherwise.
 */
export async function* candidateCode(
  deps: {
    finder: Pick<ConsumerFinder, 'candidates'>;
    sources: ConsumerSources;
    logger: LoggerService;
    engine: RippleEngine;
  },
  dataset: { ref: string; table: string },
  skip?: Set<string>,
): AsyncGenerator<CandidateCode> {
  const datasetRef = dataset.ref;
  const { finder, sources, logger, engine } = deps;
  const read = async ({ entity, declared }: Candidate) => {
    const consumerRef = stringifyEntityRef(entity);
    try {
      // Refuses an entity whose Ripple annotations are unusable.
      entityDialect(engine, entity);
      return { consumerRef, declared, code: await sources.read(entity) };
    } catch (error) {
      if (error instanceof InvalidAnnotationError) {
        return { consumerRef, declared, invalid: error.message };
      }
      return { consumerRef, declared, error: error as Error };
    }
  };
  // Reading is I/O: the next few candidates are read while one is
  // analysed, and they are yielded in order.
  const candidates = (
    await finder.candidates(datasetRef, dataset.table, skip)
  ).filter(
    ({ entity }) =>
      !skip?.has(stringifyEntityRef(entity).toLocaleLowerCase('en-US')),
  );
  const ahead: ReturnType<typeof read>[] = [];
  let next = 0;
  while (ahead.length < CONCURRENCY && next < candidates.length) {
    ahead.push(read(candidates[next++]));
  }
  while (ahead.length > 0) {
    const { consumerRef, declared, code, error, invalid } =
      await ahead.shift()!;
    if (next < candidates.length) {
      ahead.push(read(candidates[next++]));
    }
    if (error) {
      // The index does not hold it yet: the request is refused (503)
      // rather than answered without it.
      if (error instanceof ServiceUnavailableError) {
        throw error;
      }
      if (declared) {
        throw new Error(
          `Could not read the code of ${consumerRef}: ${error.message}`,
        );
      }
      logger.warn(
        `Skipped ${consumerRef} while looking for readers of ${datasetRef}: ${error}`,
      );
      continue;
    }
    if (invalid) {
      yield { consumerRef, declared, invalid };
    } else if (code || declared) {
      yield { consumerRef, declared, code };
    }
  }
}
