import type { Entity } from '@backstage/catalog-model';
import { ScmIntegrations } from '@backstage/integration';
import { ConfigReader } from '@backstage/config';
import { loadEngine, type RippleEngine } from '@ripple/engine';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { localUrlReader } from '../__testUtils__/localUrlReader';
import { DatasetReader, parseColumns, parseSchema } from './DatasetReader';

function dataset(annotations: Record<string, string>, file?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: 'orders',
      namespace: 'default',
      annotations: {
        ...(file ? { 'backstage.io/managed-by-location': `file:${file}` } : {}),
        ...annotations,
      },
    },
    spec: { type: 'dataset' },
  };
}

describe('DatasetReader', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-dataset-'));
  const reader = new DatasetReader(localUrlReader(dir));
  fs.mkdirSync(path.join(dir, 'schemas'));
  fs.writeFileSync(
    path.join(dir, 'schemas/warehouse.json'),
    JSON.stringify({
      tables: {
        'proj.ds.customers': { columns: [{ name: 'id' }] },
        'proj.ds.orders': {
          columns: [{ name: 'id', type: 'INT64' }, { name: 'amount' }],
        },
      },
    }),
  );

  it("defaults the table to the entity's name and the columns to none", async () => {
    await expect(reader.read(dataset({}))).resolves.toEqual({
      ref: 'resource:default/orders',
      table: 'orders',
      columns: [],
    });
  });

  it("reads a schema file relative to the entity's catalog file, in the engine's format", async () => {
    await expect(
      reader.read(
        dataset(
          {
            'ripple.io/table': 'proj.ds.orders',
            'ripple.io/schema-file': './schemas/warehouse.json',
          },
          path.join(dir, 'catalog-info.yaml'),
        ),
      ),
    ).resolves.toMatchObject({
      columns: [{ name: 'id', type: 'INT64' }, { name: 'amount' }],
    });
  });

  it('says which annotation is wrong, and where', async () => {
    await expect(
      reader.read(
        dataset(
          { 'ripple.io/schema-file': './schemas/missing.json' },
          path.join(dir, 'catalog-info.yaml'),
        ),
      ),
    ).rejects.toThrow(
      /^resource:default\/orders: annotation ripple.io\/schema-file: cannot read file:.*schemas\/missing.json/,
    );
    await expect(
      reader.read(dataset({ 'ripple.io/schema-file': './x.json' })),
    ).rejects.toThrow(
      /"\.\/x\.json" is relative, but the entity has no backstage.io\/managed-by-location/,
    );
    await expect(
      reader.read(
        dataset({ 'ripple.io/schema': '[id', 'ripple.io/schema-file': 'x' }),
      ),
    ).rejects.toThrow(/not both/);
  });

  it('parses the documented shapes, and names the field at fault', () => {
    const where = 'here';
    expect(
      parseColumns('[id, {name: amount, type: NUMERIC}]', 't', where),
    ).toEqual([{ name: 'id' }, { name: 'amount', type: 'NUMERIC' }]);
    expect(parseColumns('{"id": "INT64", "note": null}', 't', where)).toEqual([
      { name: 'id', type: 'INT64' },
      { name: 'note' },
    ]);
    expect(parseColumns('columns: [id]', 't', where)).toEqual([{ name: 'id' }]);
    expect(() => parseColumns('[id', 't', where)).toThrow(
      /^here: not JSON or YAML/,
    );
    expect(() => parseColumns('columns: [id, 3]', 't', where)).toThrow(
      'here: columns[1]: must be a column name or an object with a name',
    );
    expect(() => parseColumns('[{name: id, type: 3}]', 't', where)).toThrow(
      'here: [0].type: must be a string',
    );
    expect(() => parseColumns('[id, ID]', 't', where)).toThrow(
      'here: column ID is listed twice',
    );
    expect(() =>
      parseColumns('tables: {a: {columns: []}}', 'b', where),
    ).toThrow('here: tables: no table b (it has a)');
    expect(() => parseColumns('42', 't', where)).toThrow(
      'here: the schema: must be a list of columns or a {column: type} mapping',
    );
  });
});

// A dbt project that builds two datasets: fct_orders (its columns in the
// warehouse's catalog) and customers (from its SQL, through a seed), and
// disagrees with itself about a third (a property file documents a column
// its SQL lacks).
const DBT_PROJECT: Record<string, string> = {
  'dbt_project.yml': 'name: shop\nversion: "1.0.0"\n',
  'models/sources.yml':
    'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n      - name: customers\n',
  'models/fct_orders.sql':
    "select id, amount from {{ source('raw', 'orders') }}\n",
  'seeds/raw_customers.csv': 'id,name,email\n1,Ada,ada@example.com\n',
  'models/customers.sql': "select id, name from {{ ref('raw_customers') }}\n",
  'models/refunds.sql': "select id, amount from {{ ref('fct_orders') }}\n",
  'models/refunds.yml':
    'version: 2\nmodels:\n  - name: refunds\n    columns:\n      - name: id\n      - name: reason\n',
  'target/catalog.json': JSON.stringify({
    nodes: {
      'model.shop.fct_orders': {
        metadata: { name: 'fct_orders' },
        columns: {
          ID: { name: 'id', type: 'INT64', index: 1 },
          AMOUNT: { name: 'amount', type: 'NUMERIC', index: 2 },
        },
      },
    },
  }),
};

describe('DatasetReader and dbt projects', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-dbt-dataset-'));
  const project = path.join(dir, 'shop');
  for (const [file, text] of Object.entries(DBT_PROJECT)) {
    fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
    fs.writeFileSync(path.join(project, file), text);
  }
  const catalogFile = path.join(project, 'catalog-info.yaml');
  let engine: RippleEngine;
  let reader: DatasetReader;
  beforeAll(async () => {
    engine = await loadEngine();
    reader = new DatasetReader(localUrlReader(dir), {
      engine,
      integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
    });
  });

  const model = (name: string, annotations: Record<string, string> = {}) => {
    const entity = dataset(annotations, catalogFile);
    entity.metadata.name = name;
    return entity;
  };

  it("takes a dbt model's columns from the project at its code location, and says where they came from", async () => {
    await expect(
      reader.read(
        model('orders', { 'ripple.io/table': 'proj.marts.FCT_ORDERS' }),
      ),
    ).resolves.toEqual({
      ref: 'resource:default/orders',
      table: 'proj.marts.FCT_ORDERS',
      columns: [{ name: 'id' }, { name: 'amount' }],
      columnsFrom: {
        location: `${pathToFileURL(project).href}/`,
        origin: 'catalog',
        path: 'target/catalog.json',
      },
    });
    // Named by the entity, through the source location: from its SQL.
    const customers = dataset({
      'backstage.io/source-location': `url:${pathToFileURL(project).href}/`,
    });
    customers.metadata.name = 'customers';
    await expect(reader.read(customers)).resolves.toMatchObject({
      columns: [{ name: 'id' }, { name: 'name' }],
      columnsFrom: { origin: 'sql', path: 'models/customers.sql' },
    });
  });

  it('leaves the columns unknown, with a warning, when the project disagrees about them or has no such model', async () => {
    const refunds = await reader.read(model('refunds'));
    expect(refunds.columns).toEqual([]);
    expect(refunds.columnsFrom).toBeUndefined();
    expect(refunds.warnings).toEqual([
      expect.stringMatching(
        /^the dbt project at file:.*\/shop\/: `refunds`: .*documents `reason`.* \(its columns are left unknown\)$/,
      ),
    ]);
    const missing = await reader.read(model('shipments'));
    expect(missing.columns).toEqual([]);
    expect(missing.warnings).toEqual([
      expect.stringMatching(/has no model named shipments$/),
    ]);
  });

  it('lets an annotation win, and reads no project then', async () => {
    await expect(
      reader.read(model('orders', { 'ripple.io/schema': '[order_id]' })),
    ).resolves.toEqual({
      ref: 'resource:default/orders',
      table: 'orders',
      columns: [{ name: 'order_id' }],
    });
  });

  it('reads a project only where a configured integration reads, and names the entity and the annotation when it cannot', async () => {
    const hostile = dataset({
      'backstage.io/source-location':
        'url:http://169.254.169.254/latest/meta-data/',
    });
    await expect(reader.read(hostile)).rejects.toThrow(
      'resource:default/orders: annotation backstage.io/source-location: http://169.254.169.254/latest/meta-data/ is read by no configured integration',
    );
    const gone = dataset({
      'backstage.io/source-location': `url:${pathToFileURL(dir).href}/gone/`,
    });
    await expect(reader.read(gone)).rejects.toThrow(
      /^resource:default\/orders: annotation backstage.io\/source-location: cannot read the dbt project at file:.*\/gone\/: /,
    );
  });
});

describe('parseSchema', () => {
  it("keeps the renames a schema's columns declare, which the columns do not carry", () => {
    const parsed = parseSchema(
      '[id, {name: amount_usd, type: NUMERIC, renamed_from: amount}]',
      'orders',
      'here',
    );
    expect(parsed.columns).toEqual([
      { name: 'id' },
      { name: 'amount_usd', type: 'NUMERIC' },
    ]);
    expect([...parsed.renamedFrom]).toEqual([['amount_usd', 'amount']]);
  });

  it('refuses a renamed_from that is not a column name, naming the field', () => {
    expect(() =>
      parseSchema('[{name: a, renamed_from: 3}]', 'orders', 'here'),
    ).toThrow('here: [0].renamed_from: must be a column name');
  });
});
