import {
  codeLocation,
  isConsumerCodeFile,
  isDbtProjectFile,
} from './consumerCode';

const entity = (annotations: Record<string, string>) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'c', annotations },
});

describe('codeLocation', () => {
  it('is the source location of an entity registered from a repository', () => {
    expect(
      codeLocation(
        entity({
          'backstage.io/source-location':
            'url:https://github.com/acme/orders-export/tree/main/',
          'backstage.io/managed-by-location':
            'url:https://github.com/acme/orders-export/blob/main/catalog-info.yaml',
        }),
      ),
    ).toBe('https://github.com/acme/orders-export/tree/main/');
  });

  it('is the folder of a local catalog-info.yaml, as a file: URL, and nothing for other files', () => {
    expect(
      codeLocation(
        entity({
          'backstage.io/managed-by-location':
            'file:/work/examples/consumers/my consumer/catalog-info.yaml',
        }),
      ),
    ).toBe('file:///work/examples/consumers/my%20consumer/');
    expect(
      codeLocation(
        entity({
          'backstage.io/managed-by-location':
            'file:/work/examples/datasets.yaml',
        }),
      ),
    ).toBeUndefined();
    expect(codeLocation(entity({}))).toBeUndefined();
  });
});

describe('isConsumerCodeFile', () => {
  it('takes the files the CLI walks into', () => {
    expect(isConsumerCodeFile('models/stg_orders.sql')).toBe(true);
    expect(isConsumerCodeFile('src/main/scala/Job.scala')).toBe(true);
    expect(isConsumerCodeFile('export.py')).toBe(true);
    expect(isConsumerCodeFile('README.md')).toBe(false);
    expect(isConsumerCodeFile('.github/check.sql')).toBe(false);
    expect(isConsumerCodeFile('dbt_packages/utils/macro.sql')).toBe(false);
    expect(isConsumerCodeFile('node_modules/x/q.sql')).toBe(false);
    expect(isConsumerCodeFile('target/compiled/q.sql')).toBe(false);
  });
});

describe('isDbtProjectFile', () => {
  it("takes what `ripple project` reads: config, models, seeds, property files, and target's manifest and catalog", () => {
    expect(isDbtProjectFile('dbt_project.yml')).toBe(true);
    expect(isDbtProjectFile('models/stg_orders.sql')).toBe(true);
    expect(isDbtProjectFile('models/schema.yaml')).toBe(true);
    expect(isDbtProjectFile('seeds/countries.csv')).toBe(true);
    expect(isDbtProjectFile('target/manifest.json')).toBe(true);
    expect(isDbtProjectFile('target/catalog.json')).toBe(true);
    expect(isDbtProjectFile('target/run_results.json')).toBe(false);
    expect(isDbtProjectFile('target/compiled/q.sql')).toBe(false);
    expect(isDbtProjectFile('dbt_packages/utils/models/x.sql')).toBe(false);
    expect(isDbtProjectFile('logs/dbt.log')).toBe(false);
    expect(isDbtProjectFile('.github/workflows/ci.yml')).toBe(false);
    expect(isDbtProjectFile('export.py')).toBe(false);
  });
});
