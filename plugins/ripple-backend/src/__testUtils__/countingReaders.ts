import type { UrlReaderService } from '@backstage/backend-plugin-api';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  type ReaderFactory,
  urlReaderFactoriesServiceRef,
} from '@backstage/backend-defaults/urlReader';
import { LocalFileUrlReader } from '../reading/LocalFileUrlReader';

/**
 * What a backend asked of the SCM: `readTree` calls (consumers' code), how
 * many were answered "not modified", and the URLs read by `readUrl`
 * (single files: datasets' schema files).
 */
export type ScmCounts = {
  requests: number;
  notModified: number;
  files?: string[];
};

/**
 * Ripple's local file reader for a backend's UrlReaderService (as
 * `localFileUrlReaderFactory`), counting every read into `counts`:
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
            readUrl: async (
              url: string,
              opts?: Parameters<UrlReaderService['readUrl']>[1],
            ) => {
              counts.files?.push(url);
              return reader.readUrl(url, opts);
            },
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
