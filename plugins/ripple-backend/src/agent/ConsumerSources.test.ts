import type { UrlReaderService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { UrlReaderConsumerSources } from './ConsumerSources';

// Linear code takes milliseconds on these inputs and the old backtracking
// regular expressions hours; the bound is far from both, so a loaded machine
// cannot make it fail (speed itself is measured in benchmarks, not here).
const LINEAR_BOUND_MS = 30_000;

// A file name minimatch's backtracking could not get through with the glob
// below (each `*` multiplies the work by the name's length).
const LONG_NAME = `models/a${'x'.repeat(200)}.sql`;

/** A reader of one in-memory tree, applying the filter it is given. */
function treeReader(files: string[]): UrlReaderService {
  return {
    readUrl: async () => {
      throw new Error('not used');
    },
    search: async () => {
      throw new Error('not used');
    },
    readTree: async (_url, options) => {
      const kept = files.filter(file => options?.filter?.(file) ?? true);
      return {
        etag: 'etag-1',
        files: async () =>
          kept.map(file => ({
            path: file,
            content: async () => Buffer.from('SELECT 1\n'),
          })),
        archive: async () => {
          throw new Error('not used');
        },
        dir: async () => {
          throw new Error('not used');
        },
      };
    },
  };
}

function consumer(paths: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'hostile',
      annotations: {
        'backstage.io/source-location':
          'url:https://github.com/acme/x/tree/main/',
        'ripple.io/paths': paths,
      },
    },
    spec: {
      type: 'service',
      owner: 'group:default/a',
      lifecycle: 'production',
    },
  };
}

describe('UrlReaderConsumerSources and ripple.io/paths', () => {
  it('matches the globs of ripple.io/paths in linear time (minimatch did not finish on a*x*x*x*x*x*xb)', async () => {
    const sources = new UrlReaderConsumerSources(
      treeReader([LONG_NAME, 'models/axb.sql', 'models/other.py']),
    );
    const start = performance.now();
    const code = await sources.read(
      consumer(`models/a${'*x'.repeat(6)}b, models/*.sql`),
    );
    expect(performance.now() - start).toBeLessThan(LINEAR_BOUND_MS);
    expect(code?.files.map(f => f.path).sort()).toEqual([
      'models/axb.sql',
      LONG_NAME,
    ]);
  });

  it('refuses a glob it cannot match safely, naming the entity and the annotation', async () => {
    const sources = new UrlReaderConsumerSources(treeReader([]));
    // (Commas separate the globs of the annotation: a range it is.)
    await expect(
      sources.read(consumer('models/{1..100000}.sql')),
    ).rejects.toThrow(
      'component:default/hostile: annotation ripple.io/paths: glob "{1..100000}" expands to more than 256 patterns',
    );
  });
});

describe('UrlReaderConsumerSources and dbt projects', () => {
  const tree = [
    'dbt_project.yml',
    'models/a.sql',
    'models/schema.yml',
    'other/b.sql',
    'seeds/s.csv',
    'target/manifest.json',
    'target/run_results.json',
    'target/compiled/a.sql',
    'README.md',
  ];

  it("keeps a dbt project's property files, and every file `ripple project` reads, whatever ripple.io/paths narrows its code to", async () => {
    const sources = new UrlReaderConsumerSources(treeReader(tree));
    const code = await sources.read(consumer('models/*.sql'));
    const paths = (files?: { path: string }[]) => files?.map(f => f.path);
    expect(paths(code?.files)).toEqual(['models/a.sql']);
    expect(paths(code?.properties)).toEqual(['models/schema.yml']);
    expect(paths(code?.project)).toEqual([
      'dbt_project.yml',
      'models/a.sql',
      'models/schema.yml',
      'other/b.sql',
      'seeds/s.csv',
      'target/manifest.json',
    ]);
    // dbt's compiled SQL, which validation runs a model from.
    expect(paths(code?.compiled)).toEqual(['target/compiled/a.sql']);
  });

  it('keeps no project where there is no dbt_project.yml at the root', async () => {
    const sources = new UrlReaderConsumerSources(
      treeReader(tree.filter(f => f !== 'dbt_project.yml')),
    );
    const code = await sources.read(consumer('models/*.sql'));
    expect(code?.project).toBeUndefined();
    expect(code?.compiled).toBeUndefined();
    expect(code?.properties?.map(f => f.path)).toEqual(['models/schema.yml']);
  });
});
