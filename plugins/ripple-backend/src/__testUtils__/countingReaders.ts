import type { UrlReaderService } from '@backstage/backend-plugin-api';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  type ReaderFactory,
  urlReaderFactoriesServiceRef,
} from '@backstage/backend-defaults/urlReader';
import { LocalFileUrlReader } from '../reading/LocalFileUrlReader';

/** What a backend asked of the SCM: `readTree` calls, and how many were answered "not modified". */
export type ScmCounts = { requests: number; notModified: number };

/**
 * Ripple's local file reader for a backend's UrlReaderService (as
 * `localFileUrlReaderFactory`), counting every `readTree` into `counts`:
 * what the consumer index's tests and the fleet benchmark assert on.
 */
export function countingReaderFactory(counts: ScmCounts) {
  return createServiceFactory({
    service: urlReaderFactoriesServiceRef,
    deps: {},
    async factory(): Promise<ReaderFactory> {
      return options =>
        LocalFileUrlReader.factory(options).map(({ reader, predicate }) => ({
          predicate,
          reader: Object.assign(Object.create(reader), {
            readTree: async (
              url: string,
              opts?: Parameters<UrlReaderService['readTree']>[1],
            ) => {
              counts.requests += 1;
              try {
                return await reader.readTree(url, opts);
              } catch (error) {
                if ((error as Error).name === 'NotModifiedError') {
                  counts.notModified += 1;
                }
                throw error;
              }
            },
          }),
        }));
    },
  });
}
