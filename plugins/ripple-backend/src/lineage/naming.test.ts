import type { Entity } from '@backstage/catalog-model';
import {
  catalogDataset,
  jobNameMatches,
  jobsOfAnnotation,
  lineageDatasetMatches,
  repositoryName,
} from './naming';

const entity = (annotations: Record<string, string>, name = 'revenue') =>
  ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, annotations },
    spec: {},
  } as Entity);

describe('OpenLineage names', () => {
  it('reads several jobs from the annotation, by comma or newline, and names a bad value', () => {
    expect(
      jobsOfAnnotation(
        entity({
          'openlineage.io/job':
            'dbt/jaffle_shop.orders, airflow/daily.load\nspark/etl/part',
        }),
      ),
    ).toEqual({
      jobs: [
        { namespace: 'dbt', name: 'jaffle_shop.orders' },
        { namespace: 'airflow', name: 'daily.load' },
        { namespace: 'spark', name: 'etl/part' },
      ],
      errors: [],
    });
    expect(
      jobsOfAnnotation(entity({ 'openlineage.io/job': 'dbt/ok, orders, /x' })),
    ).toEqual({
      jobs: [{ namespace: 'dbt', name: 'ok' }],
      errors: [
        'component:default/revenue: annotation openlineage.io/job: "orders" is not namespace/name (a job such as dbt/jaffle_shop.orders)',
        'component:default/revenue: annotation openlineage.io/job: "/x" is not namespace/name (a job such as dbt/jaffle_shop.orders)',
      ],
    });
    expect(jobsOfAnnotation(entity({}))).toEqual({ jobs: [], errors: [] });
  });

  it.each([
    // PostgreSQL: postgres://host:port, db.schema.table.
    ['postgres', 'orders', 'postgres://db:5432', 'shop.public.orders', true],
    [
      'postgres',
      'public.orders',
      'postgres://db:5432',
      'shop.public.orders',
      true,
    ],
    [
      'postgres',
      'orders',
      'postgres://db:5432',
      'shop.public.orders_v2',
      false,
    ],
    ['postgres', 'orders', 'bigquery', 'shop.public.orders', false],
    // BigQuery: bigquery, project.dataset.table.
    ['bigquery', 'proj.ds.orders', 'bigquery', 'proj.ds.orders', true],
    ['bigquery', '`proj.ds.orders`', 'bigquery', 'proj.ds.orders', true],
    ['bigquery', 'proj.ds.orders', 'bigquery', 'other.ds.orders', false],
    // Snowflake: snowflake://account, DB.SCHEMA.TABLE upper-cased.
    [
      'snowflake',
      'analytics.raw.orders',
      'snowflake://xy12345.eu-west-1',
      'ANALYTICS.RAW.ORDERS',
      true,
    ],
    // DuckDB as dbt-ol sends it: duckdb://<file>, database.schema.table.
    [
      'duckdb',
      'main.orders',
      'duckdb:///tmp/x/warehouse.duckdb',
      'warehouse.main.orders',
      true,
    ],
    // No dialect: any warehouse.
    [undefined, 'orders', 'mysql://h:3306', 'shop.orders', true],
  ])(
    'a %s dataset %s is %s %s: %s',
    (dialect, table, namespace, name, expected) => {
      expect(
        lineageDatasetMatches(
          { namespace, name },
          { table, ...(dialect ? { dialect } : {}) },
        ),
      ).toBe(expected);
    },
  );

  it('holds a dataset to its openlineage.io/namespace when it has one', () => {
    const target = catalogDataset({
      ...entity({
        'ripple.io/table': 'public.orders',
        'ripple.io/dialect': 'postgres',
        'openlineage.io/namespace': 'postgres://prod:5432',
      }),
      kind: 'Resource',
    });
    expect(target).toEqual({
      table: 'public.orders',
      dialect: 'postgres',
      namespace: 'postgres://prod:5432',
    });
    expect(
      lineageDatasetMatches(
        { namespace: 'postgres://prod:5432', name: 'shop.public.orders' },
        target,
      ),
    ).toBe(true);
    expect(
      lineageDatasetMatches(
        { namespace: 'postgres://staging:5432', name: 'shop.public.orders' },
        target,
      ),
    ).toBe(false);
  });

  it("matches a job's name to an entity's or its repository's name, - and _ alike", () => {
    expect(jobNameMatches('jaffle_shop.revenue', ['revenue'])).toBe(true);
    expect(jobNameMatches('daily_etl.load_orders', ['daily-etl'])).toBe(true);
    expect(jobNameMatches('jaffle_shop.revenue_v2', ['revenue'])).toBe(false);
    expect(jobNameMatches('x', [''])).toBe(false);
    expect(
      repositoryName(
        entity({
          'backstage.io/source-location':
            'url:https://github.com/acme/jaffle-shop/tree/main/',
        }),
      ),
    ).toBe('jaffle-shop');
    expect(
      repositoryName(
        entity({ 'ripple.io/git-repository': '/srv/git/billing.git' }),
      ),
    ).toBe('billing');
    expect(repositoryName(entity({}))).toBeUndefined();
  });
});
