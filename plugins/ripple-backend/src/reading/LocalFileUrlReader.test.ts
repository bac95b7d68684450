import { mockServices } from '@backstage/backend-test-utils';
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalFileUrlReader } from './LocalFileUrlReader';

// The real UrlReaderService, with this reader among its factories.
function urlReader(allow: object[]) {
  return UrlReaders.default({
    config: mockServices.rootConfig({
      data: { backend: { reading: { allow } } },
    }),
    logger: mockServices.logger.mock(),
    factories: [LocalFileUrlReader.factory],
  });
}

const examples = path.resolve(__dirname, '../../../../examples/consumers');
const url = (p: string) => pathToFileURL(p).href;

describe('LocalFileUrlReader', () => {
  const reader = urlReader([{ host: 'localhost', paths: [examples] }]);

  it('reads a consumer tree below an allowed directory, filtered', async () => {
    const tree = await reader.readTree(url(path.join(examples, 'jaffle-dbt')), {
      filter: p => p.endsWith('.sql'),
    });
    const files = await tree.files();
    expect(files.map(f => f.path)).toEqual([
      'models/daily_revenue.sql',
      'models/stg_orders.sql',
    ]);
    expect((await files[1].content()).toString()).toBe(
      fs.readFileSync(
        path.join(examples, 'jaffle-dbt/models/stg_orders.sql'),
        'utf8',
      ),
    );
  });

  it('answers NotModified for an unchanged tree, and a new etag when a file changes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-reader-'));
    fs.writeFileSync(path.join(dir, 'a.sql'), 'SELECT 1');
    const local = urlReader([{ host: 'localhost', paths: [dir] }]);
    const first = await local.readTree(url(dir));
    await expect(
      local.readTree(url(dir), { etag: first.etag }),
    ).rejects.toMatchObject({
      name: 'NotModifiedError',
    });
    fs.writeFileSync(path.join(dir, 'b.sql'), 'SELECT 2');
    const second = await local.readTree(url(dir), { etag: first.etag });
    expect(second.etag).not.toBe(first.etag);
    expect((await second.files()).map(f => f.path)).toEqual(['a.sql', 'b.sql']);
  });

  it('reads one file and searches with a glob', async () => {
    const file = path.join(examples, 'orders-export/export_orders.py');
    const res = await reader.readUrl(url(file));
    expect((await res.buffer()).toString()).toBe(fs.readFileSync(file, 'utf8'));
    const found = await reader.search(`${url(examples)}/**/*.scala`);
    expect(
      found.files.map(f => path.relative(examples, new URL(f.url).pathname)),
    ).toEqual(['fraud-scoring/src/main/scala/com/example/FraudScoring.scala']);
  });

  it('refuses paths outside the allowed directories, through .. or a link', async () => {
    await expect(
      reader.readUrl(url(path.join(examples, '../catalog.yaml'))),
    ).rejects.toThrow(
      /is not allowed: add its directory to backend.reading.allow/,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-reader-'));
    fs.symlinkSync(path.resolve(examples, '..'), path.join(dir, 'escape'));
    const local = urlReader([{ host: 'localhost', paths: [dir] }]);
    await expect(
      local.readUrl(url(path.join(dir, 'escape/catalog.yaml'))),
    ).rejects.toThrow(/is not allowed/);
  });

  it('reads nothing without an allow entry for localhost', async () => {
    const none = urlReader([{ host: 'example.com' }]);
    await expect(
      none.readUrl(url(path.join(examples, 'orders-export/export_orders.py'))),
    ).rejects.toThrow(/not allowed|no reader/i);
  });
});
