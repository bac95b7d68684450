/**
 * @jest-environment node
 */
import { loadEngine, type RippleEngine } from '@ripple/engine';
import type { ConsumerCode } from '@ripple/backstage-plugin-ripple-common';
import { computePreview, engineFiles, PreviewRewriter } from './livePreview';

// The preview with its rewrites spread over real engine workers (worker
// threads here, Web Workers in the browser) gives what the engine on this
// thread gives.
const orders = (i: number) =>
  `SELECT o.amount${i}, o.id FROM ds.orders AS o WHERE o.amount${i} > ${i};\n`;
const code: ConsumerCode[] = Array.from({ length: 12 }, (_, i) => ({
  consumerRef: `component:default/job-${i}`,
  discoveredBy: 'code',
  files: [
    { path: 'a.sql', language: 'sql', content: orders(i % 3) },
    {
      path: 'b.sql',
      language: 'sql',
      content: 'SELECT 1 FROM ds.customers;\n',
    },
  ],
}));
const change = (to: string) => ({
  dataset: 'proj.ds.orders',
  dialect: 'bigquery' as const,
  changes: [{ kind: 'rename_column' as const, column: 'amount1', to }],
});

describe('computePreview', () => {
  let engine: RippleEngine;
  beforeAll(async () => {
    engine = await loadEngine();
  });

  it('gives the same preview with workers as on this thread', async () => {
    const here = new PreviewRewriter(engine, 0);
    const workers = new PreviewRewriter(engine, 2);
    // The loop's callbacks read a constant (lint: no-loop-func).
    const loaded = engine;
    try {
      for (const to of ['amount_usd', 'amount_eur']) {
        const [a, b] = await Promise.all(
          [here, workers].map(r =>
            computePreview(
              loaded,
              change(to),
              code,
              [],
              new WeakMap(),
              engineFiles(),
              r,
            ),
          ),
        );
        expect(b.consumers).toEqual(a.consumers);
        expect(b.rewritten).toBe(4);
        expect(b.consumers[1].diff).toContain(
          `+SELECT o.${to} AS amount1, o.id`,
        );
      }
    } finally {
      workers.close();
    }
  });

  it("gives each consumer the engine's verdict, with its reasons' places", async () => {
    const rewriter = new PreviewRewriter(engine, 0);
    const star: ConsumerCode = {
      consumerRef: 'component:default/star',
      discoveredBy: 'code',
      files: [
        {
          path: 's.sql',
          language: 'sql',
          content: 'SELECT * FROM ds.orders;\n',
        },
      ],
    };
    const preview = await computePreview(
      engine,
      change('amount_usd'),
      [...code.slice(0, 3), star],
      [
        { name: 'id', type: 'INT64' },
        { name: 'amount1', type: 'NUMERIC' },
      ],
      new WeakMap(),
      engineFiles(),
      rewriter,
    );
    expect(
      preview.consumers.map(c => [
        c.consumerRef,
        c.impact.verdict,
        c.impact.reasons?.map(r => `${r.kind} ${r.path}:${r.line}`),
      ]),
    ).toEqual([
      ['component:default/job-0', 'unaffected', ['unchanged_columns a.sql:1']],
      [
        'component:default/job-1',
        'breaking',
        ['renamed_column a.sql:1', 'renamed_column a.sql:1'],
      ],
      ['component:default/job-2', 'unaffected', ['unchanged_columns a.sql:1']],
      ['component:default/star', 'partially_breaking', ['star s.sql:1']],
    ]);
  });

  it("shows a consumer the backend could not analyse as an error, with the backend's message", async () => {
    const error =
      'component:default/odd: annotation ripple.io/dialect: unknown dialect `klingon`';
    const preview = await computePreview(
      engine,
      change('amount_usd'),
      [
        ...code.slice(0, 2),
        {
          consumerRef: 'component:default/odd',
          discoveredBy: 'catalog',
          files: [],
          error,
        },
      ],
      [],
      new WeakMap(),
      engineFiles(),
      new PreviewRewriter(engine, 0),
    );
    expect(preview.errors).toBe(1);
    expect(preview.consumers[2]).toMatchObject({
      consumerRef: 'component:default/odd',
      status: 'error',
      reasons: [{ path: '', message: error }],
    });
    expect(preview.consumers[1].status).toBe('rewritten');
  });

  it('goes on on this thread when its workers are gone', async () => {
    const rewriter = new PreviewRewriter(engine, 2);
    const files = engineFiles();
    const first = await computePreview(
      engine,
      change('x1'),
      code,
      [],
      new WeakMap(),
      files,
      rewriter,
    );
    rewriter.close();
    const second = await computePreview(
      engine,
      change('x1'),
      code,
      [],
      new WeakMap(),
      files,
      rewriter,
    );
    expect(second.consumers).toEqual(first.consumers);
  });

  it("rejects with the engine's error for a change it refuses", async () => {
    const rewriter = new PreviewRewriter(engine, 1);
    try {
      await expect(
        computePreview(
          engine,
          change(''),
          code,
          [],
          new WeakMap(),
          engineFiles(),
          rewriter,
        ),
      ).rejects.toMatchObject({
        name: 'RippleError',
        message: expect.stringContaining('changes[0].to'),
      });
    } finally {
      rewriter.close();
    }
  });

  it('stops analysing when a newer edit aborts it', async () => {
    // Enough files that the first preview's analyses take several slices.
    const many = Array.from({ length: 2000 }, (_, i) => ({
      ...code[i % code.length],
      files: code[i % code.length].files.map(f => ({ ...f })),
    }));
    const stale = new AbortController();
    stale.abort();
    await expect(
      computePreview(
        engine,
        change('x'),
        many,
        [],
        new WeakMap(),
        engineFiles(),
        new PreviewRewriter(engine, 0),
        stale.signal,
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects, without running here, the rewrites in flight when its page closes it', async () => {
    const rewriter = new PreviewRewriter(engine, 1);
    const files = engineFiles();
    const running = computePreview(
      engine,
      change('y1'),
      code,
      [],
      new WeakMap(),
      files,
      rewriter,
    );
    rewriter.close();
    await expect(running).rejects.toThrow(/terminated/);
  });
});
