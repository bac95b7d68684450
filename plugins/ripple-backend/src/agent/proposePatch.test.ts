import type { ChangeSpec } from '@ripple/backstage-plugin-ripple-common';
import { loadEngine, RippleEngine } from '@ripple/engine';
import fs from 'node:fs';
import path from 'node:path';
import { dbtSources, namesTable } from '@ripple/backstage-plugin-ripple-common';
import { hashCode, proposePatch } from './proposePatch';

const examples = path.resolve(__dirname, '../../../../examples/consumers');
const change: ChangeSpec = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

function file(consumer: string, relative: string) {
  return {
    path: relative,
    text: fs.readFileSync(path.join(examples, consumer, relative), 'utf8'),
  };
}

describe('proposePatch', () => {
  let engine: RippleEngine;
  beforeAll(async () => {
    engine = await loadEngine();
  });

  it('maps a dbt source to the dataset through sources.yml, and expands its select * with the dataset schema', () => {
    const code = {
      location: 'file:///jaffle-dbt/',
      files: [file('jaffle-dbt', 'models/stg_orders.sql')],
      dbtSources: dbtSources([file('jaffle-dbt', 'models/sources.yml')]),
    };
    const columns = ['id', 'cust', 'amount', 'status', 'ts'].map(name => ({
      name,
    }));
    const proposal = proposePatch(engine, change, code, columns);
    expect(proposal.status).toBe('rewritten');
    expect(proposal.impact.files).toEqual([
      {
        path: 'models/stg_orders.sql',
        // The source, the `*` standing for amount, and amount through the
        // CTEs.
        references: 4,
        columns: ['id', 'cust', 'amount', 'status', 'ts'],
      },
    ]);
    expect(proposal.diff).toContain(
      "+    select id, cust, amount_usd AS amount, status, ts from {{ source('shop', 'orders') }}\n",
    );
    // Without sources.yml, shop.orders is not the dataset.
    const unmapped = proposePatch(engine, change, { ...code, dbtSources: [] });
    expect(unmapped.impact.files).toEqual([]);
    expect(unmapped.status).toBe('unaffected');
  });

  it('finds a dbt model reading the dataset through ref() (a model named like its table)', () => {
    const proposal = proposePatch(engine, change, {
      location: 'file:///marts/',
      files: [
        {
          path: 'models/order_totals.sql',
          text: "select cust, sum(amount) as total from {{ ref('orders') }} group by cust\n",
        },
      ],
    });
    expect(proposal.impact.files).toEqual([
      {
        path: 'models/order_totals.sql',
        references: 2,
        columns: ['cust', 'amount'],
      },
    ]);
    expect(proposal.diff).toContain('sum(amount_usd) as total');
  });

  it('finds where Python code reads the dataset and rewrites it', () => {
    const proposal = proposePatch(engine, change, {
      location: 'file:///orders-export/',
      files: [file('orders-export', 'export_orders.py')],
    });
    expect(proposal.status).toBe('rewritten');
    expect(proposal.reasons).toEqual([]);
    // The table and the renamed column are named once each in the query.
    expect(proposal.impact).toEqual({
      files: [
        {
          path: 'export_orders.py',
          references: 2,
          columns: ['id', 'amount', 'ts', 'cust', 'status'],
        },
      ],
      references: 2,
      // The engine's verdict, at the reference that reads the renamed column.
      verdict: 'breaking',
      reasons: [
        {
          kind: 'renamed_column',
          verdict: 'breaking',
          path: 'export_orders.py',
          line: 11,
          column: 5,
          message: 'reads `amount`, which the change renames to `amount_usd`',
        },
      ],
    });
    expect(proposal.diff).toContain(
      '--- a/export_orders.py\n+++ b/export_orders.py\n',
    );
    expect(proposal.diff).toContain(
      '-  o.amount,\n+  o.amount_usd AS amount,\n',
    );
  });

  it('joins the diffs of several files, and takes the worst status', () => {
    const proposal = proposePatch(
      engine,
      {
        ...change,
        changes: [{ kind: 'drop_column', column: 'amount' }],
      },
      {
        location: 'file:///mixed/',
        files: [
          file('finance-reports', 'sql/monthly_close.sql'),
          { path: 'other.sql', text: 'SELECT id FROM proj.ds.customers' },
        ],
      },
    );
    // A dropped column still read is for a person to decide.
    expect(proposal.status).toBe('needs_edit');
    // Each reason is the engine's finding in its file: kind, severity,
    // place and the message without the place.
    expect(proposal.reasons).toEqual([
      {
        path: 'sql/monthly_close.sql',
        kind: 'dropped_column_used',
        severity: 'needs_edit',
        line: expect.any(Number),
        column: expect.any(Number),
        endLine: expect.any(Number),
        endColumn: expect.any(Number),
        message: expect.stringMatching(
          /^reads `amount`, which the change drops$/,
        ),
      },
    ]);
    const [{ line, column, endLine, endColumn }] = proposal.reasons;
    const text = file('finance-reports', 'sql/monthly_close.sql').text;
    // The place spans the name in the file.
    expect(text.split('\n')[line! - 1].slice(column! - 1, endColumn! - 1)).toBe(
      'amount',
    );
    expect(endLine).toBe(line);
    expect(proposal.impact.files.map(f => f.path)).toEqual([
      'sql/monthly_close.sql',
    ]);
  });

  it('proposes nothing for code that does not read the dataset', () => {
    const proposal = proposePatch(engine, change, {
      location: 'file:///x/',
      files: [{ path: 'q.sql', text: 'SELECT amount FROM proj.ds.refunds' }],
    });
    expect(proposal).toMatchObject({
      status: 'unaffected',
      diff: '',
      impact: { files: [], references: 0 },
    });
  });

  it('hashes the code by paths and contents, in path order', () => {
    const a = { path: 'a.sql', text: 'SELECT 1' };
    const b = { path: 'b.sql', text: 'SELECT 2' };
    const hash = hashCode({ location: 'x', files: [a, b] });
    expect(hashCode({ location: 'y', files: [b, a] })).toBe(hash);
    expect(
      hashCode({ location: 'x', files: [a, { ...b, text: 'SELECT 3' }] }),
    ).not.toBe(hash);
    expect(
      hashCode({ location: 'x', files: [a, { ...b, path: 'c.sql' }] }),
    ).not.toBe(hash);
  });

  it('hashes property files and the rest of a dbt project too', () => {
    const code = {
      location: 'x',
      files: [{ path: 'models/a.sql', text: 'select 1' }],
    };
    const hash = hashCode(code);
    const properties = [{ path: 'models/schema.yml', text: 'version: 2' }];
    const withProperties = hashCode({ ...code, properties });
    expect(withProperties).not.toBe(hash);
    expect(
      hashCode({
        ...code,
        properties,
        project: [{ path: 'seeds/s.csv', text: 'id\n' }],
      }),
    ).not.toBe(withProperties);
  });

  it("rewrites a dbt consumer's property files, with its project's schema, the same way every time", () => {
    // The source's relation (the dataset) and its name are one table: the
    // project's schema and the dataset's columns must not name it twice.
    const project = [
      { path: 'dbt_project.yml', text: 'name: finance\n' },
      {
        path: 'models/sources.yml',
        text: 'version: 2\nsources:\n  - name: ds\n    database: proj\n    tables:\n      - name: orders\n',
      },
      {
        path: 'models/stg_orders.sql',
        text: "select * from {{ source('ds', 'orders') }}\n",
      },
      {
        path: 'models/revenue.sql',
        text: "with o as (select * from {{ ref('stg_orders') }})\nselect id, amount from o\n",
      },
      {
        path: 'models/schema.yml',
        text: "version: 2\nunit_tests:\n  - name: t\n    model: revenue\n    given:\n      - input: source('ds', 'orders')\n        rows:\n          - {id: 1, amount: 2}\n    expect:\n      rows: []\n",
      },
    ];
    const code = {
      location: 'file:///finance/',
      files: project.filter(f => f.path.endsWith('.sql')),
      properties: project.filter(
        f => f.path.startsWith('models/') && f.path.endsWith('.yml'),
      ),
      dbtSources: dbtSources(project),
      project,
    };
    const columns = ['id', 'amount'].map(name => ({ name }));
    const proposals = [1, 2, 3, 4, 5].map(() =>
      proposePatch(engine, change, code, columns),
    );
    for (const proposal of proposals) {
      expect(proposal.status).toBe('rewritten');
      expect(proposal.diff).toContain(
        "+select id, amount_usd AS amount from {{ source('ds', 'orders') }}\n",
      );
      expect(proposal.diff).toContain('+          - {id: 1, amount_usd: 2}\n');
      expect(proposal.reasons.map(r => [r.path, r.kind])).toEqual([
        ['models/sources.yml', 'producer_entry'],
      ]);
    }
    // Without rewriteProperties (the browser's engine), no property file.
    const browser = proposePatch(
      { ...engine, rewriteProperties: undefined, projectSchema: undefined },
      change,
      code,
      columns,
    );
    expect(browser.diff).not.toContain('schema.yml');
  });

  it('matches table names by suffix, as the engine does', () => {
    expect(namesTable('orders', 'proj.ds.orders')).toBe(true);
    expect(namesTable('DS.Orders', 'proj.ds.orders')).toBe(true);
    expect(namesTable('proj.ds.orders', 'proj.ds.orders')).toBe(true);
    expect(namesTable('shop.orders', 'proj.ds.orders')).toBe(false);
    expect(namesTable('x.proj.ds.orders', 'proj.ds.orders')).toBe(false);
  });

  it('turns an engine error on one file into an error patch naming the consumer, the file and the message, other files still analysed', () => {
    // The real engine, made to fail on one file the way it fails on a
    // dialect it does not know (a real RippleError).
    const failing = {
      ...engine,
      analyze: (...args: Parameters<RippleEngine['analyze']>) =>
        args[0] === 'broken.sql'
          ? engine.analyze(args[0], args[1], { dialect: 'klingon' as any })
          : engine.analyze(...args),
    } as RippleEngine;
    const proposal = proposePatch(
      failing,
      change,
      {
        location: 'file:///x/',
        files: [
          { path: 'broken.sql', text: 'SELECT amount FROM proj.ds.orders' },
          { path: 'fine.sql', text: 'SELECT amount FROM proj.ds.orders' },
        ],
      },
      [],
      'component:default/x',
    );
    expect(proposal.status).toBe('error');
    expect(proposal.diff).toBe('');
    expect(proposal.reasons).toEqual([
      {
        path: 'broken.sql',
        kind: 'engine_failed',
        severity: 'error',
        message: expect.stringMatching(
          /^component:default\/x: broken\.sql: the engine failed: .*klingon/,
        ),
      },
    ]);
    expect(proposal.failed).toBe(proposal.reasons[0].message);
    expect(proposal.impact.files.map(f => f.path)).toEqual(['fine.sql']);
  });
});
