import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalFileUrlReader } from '../reading/LocalFileUrlReader';
import { DatasetReader, parseColumns } from './DatasetReader';

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
  const reader = new DatasetReader(
    UrlReaders.default({
      config: mockServices.rootConfig({
        data: {
          backend: { reading: { allow: [{ host: 'localhost', paths: [dir] }] } },
        },
      }),
      logger: mockServices.logger.mock(),
      factories: [LocalFileUrlReader.factory],
    }),
  );
  fs.mkdirSync(path.join(dir, 'schemas'));
  fs.writeFileSync(
    path.join(dir, 'schemas/warehouse.json'),
    JSON.stringify({
      tables: {
        'proj.ds.customers': { columns: [{ name: 'id' }] },
        'proj.ds.orders': { columns: [{ name: 'id', type: 'INT64' }, { name: 'amount' }] },
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
    ).rejects.toThrow(/"\.\/x\.json" is relative, but the entity has no backstage.io\/managed-by-location/);
    await expect(
      reader.read(dataset({ 'ripple.io/schema': '[id', 'ripple.io/schema-file': 'x' })),
    ).rejects.toThrow(/not both/);
  });

  it('parses the documented shapes, and names the field at fault', () => {
    const where = 'here';
    expect(parseColumns('[id, {name: amount, type: NUMERIC}]', 't', where)).toEqual([
      { name: 'id' },
      { name: 'amount', type: 'NUMERIC' },
    ]);
    expect(parseColumns('{"id": "INT64", "note": null}', 't', where)).toEqual([
      { name: 'id', type: 'INT64' },
      { name: 'note' },
    ]);
    expect(parseColumns('columns: [id]', 't', where)).toEqual([{ name: 'id' }]);
    expect(() => parseColumns('[id', 't', where)).toThrow(/^here: not JSON or YAML/);
    expect(() => parseColumns('columns: [id, 3]', 't', where)).toThrow(
      'here: columns[1]: must be a column name or an object with a name',
    );
    expect(() => parseColumns('[{name: id, type: 3}]', 't', where)).toThrow(
      'here: [0].type: must be a string',
    );
    expect(() => parseColumns('[id, ID]', 't', where)).toThrow(
      'here: column ID is listed twice',
    );
    expect(() => parseColumns('tables: {a: {columns: []}}', 'b', where)).toThrow(
      'here: tables: no table b (it has a)',
    );
    expect(() => parseColumns('42', 't', where)).toThrow(
      'here: the schema: must be a list of columns or a {column: type} mapping',
    );
  });
});
