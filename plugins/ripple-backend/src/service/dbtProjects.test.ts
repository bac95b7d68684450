import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  ConsumerPreview,
  Dataset,
  DatasetCode,
} from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs/promises';
import { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

// Issue 18: datasets and consumers that are dbt projects.

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const fctOrders = 'resource:default/fct-orders';
const financeDbt = 'component:default/finance-dbt';
const misnamed = 'component:default/misnamed-report';
const change = {
  dataset: 'proj.marts.fct_orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

function catalogInfo(entity: string): string {
  return `apiVersion: backstage.io/v1alpha1\n${entity}`;
}

const PROJECTS: Record<string, Record<string, string>> = {
  // The producer: fct_orders is its model, and a dataset with no schema
  // annotation; its columns come from its SQL, through a seed.
  'shop-dbt': {
    'catalog-info.yaml': catalogInfo(`kind: Resource
metadata:
  name: fct-orders
  annotations:
    ripple.io/table: proj.marts.fct_orders
    ripple.io/dialect: bigquery
spec:
  type: dataset
  owner: group:default/data-platform
`),
    'dbt_project.yml': 'name: shop\nversion: "1.0.0"\n',
    'seeds/raw_orders.csv': 'id,amount,status\n1,10,paid\n',
    'models/fct_orders.sql':
      "select id, amount, status from {{ ref('raw_orders') }}\n",
  },
  // A consumer that is a dbt project: a staging model reads the dataset
  // through a source, a mart through the staging model's `select *`, and a
  // property file has a unit test whose fixture names the renamed column.
  'finance-dbt': {
    'catalog-info.yaml': catalogInfo(`kind: Component
metadata:
  name: finance-dbt
spec:
  type: data-pipeline
  lifecycle: production
  owner: group:default/analytics
  dependsOn: [resource:default/fct-orders]
`),
    'dbt_project.yml': 'name: finance\nversion: "1.0.0"\n',
    'models/sources.yml': `version: 2
sources:
  - name: marts
    database: proj
    schema: marts
    tables:
      - name: fct_orders
`,
    'models/stg_orders.sql':
      "select * from {{ source('marts', 'fct_orders') }}\n",
    'models/revenue.sql': `with orders as (
    select * from {{ ref('stg_orders') }}
)
select id as order_id, amount as revenue from orders
`,
    'models/schema.yml': `version: 2
unit_tests:
  - name: revenue_sums_amounts
    model: revenue
    given:
      - input: source('marts', 'fct_orders')
        rows:
          - {id: 1, amount: 10}
    expect:
      rows:
        - {order_id: 1, revenue: 10}
`,
  },
  // Declared in the catalog, but its code names another table (a typo).
  'misnamed-report': {
    'catalog-info.yaml': catalogInfo(`kind: Component
metadata:
  name: misnamed-report
spec:
  type: data-pipeline
  lifecycle: production
  owner: group:default/finance
  dependsOn: [resource:default/fct-orders]
`),
    'report.sql': 'SELECT id, amount FROM `proj.marts.fct_order`\n',
  },
};

describe.each(databases.eachSupportedId())(
  'dbt projects as datasets and consumers on %s',
  databaseId => {
    let server: Server;
    let stop: () => Promise<void>;
    let root: string;

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-dbt-projects-'));
      const locations: string[] = [];
      for (const [name, files] of Object.entries(PROJECTS)) {
        for (const [file, text] of Object.entries(files)) {
          const at = path.join(root, name, file);
          await fs.mkdir(path.dirname(at), { recursive: true });
          await fs.writeFile(at, text);
        }
        locations.push(path.join(root, name, 'catalog-info.yaml'));
      }
      ({ server, stop } = await startRippleTestBackend({
        databases,
        databaseId,
        locations,
        readable: [root],
      }));
      // The test's own entities, processed after the example catalog.
      for (const ref of [fctOrders, financeDbt, misnamed]) {
        const [kind, name] = ref.replace(':default/', '/').split('/');
        for (;;) {
          const res = await request(server)
            .get(`/api/catalog/entities/by-name/${kind}/default/${name}`)
            .set(as('guest'));
          if (res.status === 200) break;
          await new Promise(r => setTimeout(r, 100));
        }
      }
    });

    afterAll(async () => {
      await stop();
      await fs.rm(root, { recursive: true, force: true });
    });

    async function call(test: request.Test): Promise<request.Response> {
      const res = await test.set(as('guest'));
      expectValidResponse(res);
      return res;
    }

    it("reads a dbt model's dataset without schema annotations: its columns from its project, and where they came from", async () => {
      const res = await call(
        request(server).get(
          `/api/ripple/datasets/${encodeURIComponent(fctOrders)}`,
        ),
      );
      expect(res.status).toBe(200);
      expect(res.body as Dataset).toEqual({
        ref: fctOrders,
        table: 'proj.marts.fct_orders',
        dialect: 'bigquery',
        columns: [{ name: 'id' }, { name: 'amount' }, { name: 'status' }],
        columnsFrom: {
          location: `${pathToFileURL(path.join(root, 'shop-dbt')).href}/`,
          origin: 'sql',
          path: 'models/fct_orders.sql',
        },
      });
    });

    it("puts a consumer dbt project's property files in its patch, and warns of a declared consumer whose code names the dataset nowhere", async () => {
      const res = await call(
        request(server)
          .post('/api/ripple/preview')
          .send({ datasetRef: fctOrders, change }),
      );
      expect(res.status).toBe(200);
      const consumers: ConsumerPreview[] = res.body.consumers;
      expect(consumers.map(c => c.consumerRef)).toEqual([financeDbt, misnamed]);
      const [finance, report] = consumers;

      // The model's SQL, with the dataset's columns from the producer's
      // project, and the unit test's fixture of the source.
      expect(finance.patch?.status).toBe('rewritten');
      expect(finance.patch?.diff).toContain(
        "+select id, amount_usd AS amount, status from {{ source('marts', 'fct_orders') }}\n",
      );
      expect(finance.patch?.diff).toContain(
        '--- a/models/schema.yml\n+++ b/models/schema.yml\n',
      );
      expect(finance.patch?.diff).toContain(
        '-          - {id: 1, amount: 10}\n+          - {id: 1, amount_usd: 10}\n',
      );
      // The source's own entry is the producer's change: said, not edited.
      expect(finance.patch?.reasons).toEqual([
        expect.objectContaining({
          path: 'models/sources.yml',
          kind: 'producer_entry',
          severity: 'note',
        }),
      ]);
      expect(finance.warning).toBeUndefined();

      // Unaffected, which would be a silent miss: the warning says why.
      expect(report.patch?.status).toBe('unaffected');
      expect(report.warning).toEqual({
        dataset: 'proj.marts.fct_orders',
        closest: ['proj.marts.fct_order'],
        message: expect.stringContaining(
          'no file names `proj.marts.fct_orders`',
        ),
      });
    });

    it("gives the same warning with the dataset's code, for the browser's preview", async () => {
      const res = await call(
        request(server).get(
          `/api/ripple/datasets/${encodeURIComponent(fctOrders)}/code`,
        ),
      );
      expect(res.status).toBe(200);
      const { consumers } = res.body as DatasetCode;
      const byRef = new Map(consumers.map(c => [c.consumerRef, c]));
      expect(byRef.get(misnamed)?.warning?.closest).toEqual([
        'proj.marts.fct_order',
      ]);
      expect(byRef.get(financeDbt)?.warning).toBeUndefined();
    });
  },
);
