import { loadEngine, type RippleEngine } from '@ripple/engine';
import { diffColumns, schemaHash, sourceLine } from './schemaDiff';

describe('diffColumns', () => {
  let engine: RippleEngine;
  beforeAll(async () => {
    engine = await loadEngine();
  });

  const before = [
    { name: 'id', type: 'INTEGER' },
    { name: 'amount', type: 'INTEGER' },
  ];

  it('applies a declared rename and places it in the source', () => {
    const text =
      'columns:\n  - {name: id, type: INTEGER}\n  - {name: amount_usd, type: INTEGER, renamed_from: nope}\n';
    const diff = diffColumns(engine, {
      datasetRef: 'resource:default/orders',
      table: 'shop.orders',
      before,
      after: [
        { name: 'id', type: 'INTEGER' },
        { name: 'amount_usd', type: 'INTEGER', renamedFrom: 'nope' },
      ],
      source: { label: 'file:///s.yaml', text, renamedFrom: new Map() },
    });
    // A declaration the old schema cannot satisfy is undecided, at the
    // line of the source that names the column.
    expect(diff.undecided).toEqual([
      expect.objectContaining({ file: 'file:///s.yaml', line: 3 }),
    ]);
  });

  it('makes no change of an added column', () => {
    const diff = diffColumns(engine, {
      datasetRef: 'resource:default/orders',
      table: 'shop.orders',
      before,
      after: [...before, { name: 'status', type: 'VARCHAR' }],
    });
    expect(diff).toEqual({ suggestions: [], undecided: [] });
  });

  it('hashes names and types, not declarations', () => {
    expect(schemaHash([{ name: 'a', type: 'INT' }])).toBe(
      schemaHash([{ name: 'a', type: 'INT', renamedFrom: 'b' }]),
    );
    expect(schemaHash([{ name: 'a', type: 'INT' }])).not.toBe(
      schemaHash([{ name: 'a', type: 'BIGINT' }]),
    );
  });

  it('finds a column as a whole word, in linear time on hostile text', () => {
    expect(sourceLine('amounts\n amount: INT', 'amount')).toBe(2);
    const start = Date.now();
    expect(sourceLine(`${'a'.repeat(1_000_000)}\n`, 'ab')).toBe(0);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});
