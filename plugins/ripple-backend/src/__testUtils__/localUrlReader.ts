import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import { LocalFileUrlReader } from '../reading/LocalFileUrlReader';

/**
 * The real UrlReaderService with Ripple's local file reader, allowed to read
 * below `dir` only, as `backend.reading.allow` would configure it.
 */
export function localUrlReader(dir: string) {
  return UrlReaders.default({
    config: mockServices.rootConfig({
      data: {
        backend: {
          reading: { allow: [{ host: 'localhost', paths: [dir] }] },
        },
      },
    }),
    logger: mockServices.logger.mock(),
    factories: [LocalFileUrlReader.factory],
  });
}
