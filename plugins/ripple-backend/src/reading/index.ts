import { createServiceFactory } from '@backstage/backend-plugin-api';
import { urlReaderFactoriesServiceRef } from '@backstage/backend-defaults/urlReader';
import { LocalFileUrlReader } from './LocalFileUrlReader';

export { LocalFileUrlReader };
export {
  RateLimitedUrlReader,
  ScmRateLimitError,
} from './RateLimitedUrlReader';
export { readScmLimits, type ScmLimits } from './scmLimits';

/**
 * Adds {@link LocalFileUrlReader} to a backend's UrlReaderService: `file:`
 * URLs below the directories `backend.reading.allow` lists under
 * `host: localhost`. For development portals and tests.
 *
 * @public
 */
export const localFileUrlReaderFactory = createServiceFactory({
  service: urlReaderFactoriesServiceRef,
  deps: {},
  async factory() {
    return LocalFileUrlReader.factory;
  },
});
