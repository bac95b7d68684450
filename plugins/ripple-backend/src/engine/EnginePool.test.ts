import {
  type ChangeSpec,
  dbtSources,
  isRippleError,
} from '@ripple/backstage-plugin-ripple-common';
import { ConfigReader } from '@backstage/config';
import { loadEngine, type RippleEngine } from '@ripple/engine';
import fs from 'node:fs';
import path from 'node:path';
import { summarizeCode } from '../consumerIndex/codeSummary';
import { proposePatch } from '../agent/proposePatch';
import { loadCanaryEngine } from '../__testUtils__/canaryEngine';
import { EnginePool } from './EnginePool';
import {
  answerTask,
  fromCrossing,
  toCrossing,
  type ProposeArgs,
  type TaskAnswer,
} from './workerTasks';

// Real worker threads, each loading the engine and this plugin's
// TypeScript through the Backstage CLI's Node transform: the first task of
// a worker waits for that.
jest.setTimeout(60_000);

const examples = path.resolve(__dirname, '../../../../examples/consumers');
const change: ChangeSpec = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const columns = ['id', 'cust', 'amount', 'status', 'ts'].map(name => ({
  name,
}));

function file(consumer: string, relative: string) {
  return {
    path: relative,
    text: fs.readFileSync(path.join(examples, consumer, relative), 'utf8'),
  };
}

const dbtProject = [
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
];

// Consumers of every kind the agent meets: a dbt source, Python, a whole
// dbt project (the engine's dbt module), code that does not read the
// dataset, and code the engine fails on.
const consumers: ProposeArgs[] = [
  {
    change,
    columns,
    consumerRef: 'component:default/jaffle',
    code: {
      location: 'file:///jaffle-dbt/',
      files: [file('jaffle-dbt', 'models/stg_orders.sql')],
      dbtSources: dbtSources([file('jaffle-dbt', 'models/sources.yml')]),
    },
  },
  {
    change,
    columns,
    consumerRef: 'component:default/orders-export',
    code: {
      location: 'file:///orders-export/',
      files: [file('orders-export', 'export_orders.py')],
    },
  },
  {
    change,
    columns,
    consumerRef: 'component:default/finance',
    code: {
      location: 'file:///finance/',
      files: dbtProject.filter(f => f.path.endsWith('.sql')),
      properties: dbtProject.filter(f => f.path === 'models/sources.yml'),
      dbtSources: dbtSources(dbtProject),
      project: dbtProject,
    },
  },
  {
    change,
    columns,
    consumerRef: 'component:default/other',
    code: {
      location: 'file:///other/',
      files: [{ path: 'a.sql', text: 'SELECT id FROM proj.ds.refunds' }],
    },
  },
  {
    change,
    columns,
    consumerRef: 'component:default/klingon',
    code: {
      location: 'file:///klingon/',
      dialect: 'klingon' as never,
      files: [{ path: 'a.sql', text: 'SELECT amount FROM proj.ds.orders' }],
    },
  },
];

// A consumer whose proposal keeps a worker busy for a while.
const big: ProposeArgs = {
  change,
  columns,
  consumerRef: 'component:default/big',
  code: {
    location: 'file:///big/',
    files: Array.from({ length: 3000 }, (_, i) => ({
      path: `q${i}.sql`,
      text: `SELECT id, amount, amount * ${i} AS x FROM proj.ds.orders WHERE cust = ${i}`,
    })),
  },
};

describe('EnginePool', () => {
  let engine: RippleEngine;
  const pools: EnginePool[] = [];
  const create = async (workers: number, poolEngine: RippleEngine = engine) => {
    const pool = await EnginePool.create({ engine: poolEngine, workers });
    pools.push(pool);
    return pool;
  };
  beforeAll(async () => {
    engine = await loadEngine();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map(pool => pool.destroy()));
  });

  it('proposes on worker threads exactly what the engine proposes inline, byte for byte', async () => {
    const pool = await create(2);
    expect(pool.workers).toBe(2);
    expect(pool.concurrency).toBe(4);
    // All at once: both workers take some.
    const proposals = await Promise.all(consumers.map(c => pool.propose(c)));
    expect(pool.threads.length).toBe(2);
    for (const [i, c] of consumers.entries()) {
      const inline = proposePatch(
        engine,
        c.change,
        c.code,
        c.columns,
        c.consumerRef,
      );
      expect(JSON.stringify(proposals[i])).toBe(JSON.stringify(inline));
    }
    // What the fixtures stand for: rewritten, through the dbt module too;
    // unaffected; an error patch naming the dialect.
    expect(proposals.map(p => p.status)).toEqual([
      'rewritten',
      'rewritten',
      'rewritten',
      'unaffected',
      'error',
    ]);
    expect(proposals[4].failed).toMatch(/klingon/);
  });

  it('summarises code for the consumer index on worker threads as it does inline', async () => {
    const pool = await create(2);
    const codes = consumers.map(c => c.code);
    const summaries = await Promise.all(codes.map(c => pool.summarize(c)));
    for (const [i, code] of codes.entries()) {
      expect(summaries[i]).toEqual(summarizeCode(engine, code));
    }
    expect(Object.keys(summaries[0].reads).length).toBeGreaterThan(0);
  });

  it('brings an error thrown in a worker back with its name, message and fields', async () => {
    const pool = await create(1);
    // Code without its files: proposePatch throws a TypeError, which is
    // not the engine's and escapes it.
    const broken = {
      ...consumers[0],
      code: { location: 'file:///x/' },
    } as unknown as ProposeArgs;
    const error = await pool.propose(broken).then(
      () => undefined,
      e => e as Error,
    );
    let expected: Error | undefined;
    try {
      proposePatch(engine, change, broken.code, columns);
    } catch (e) {
      expected = e as Error;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error?.name).toBe('TypeError');
    expect(error?.message).toBe(expected?.message);
    // The worker still serves.
    expect((await pool.propose(consumers[1])).status).toBe('rewritten');
  });

  it("carries a RippleError as structured cloning does: kind and the engine's fields kept", () => {
    // proposePatch turns every RippleError into an error patch, so no
    // task throws one yet; the crossing is the same for the next tasks.
    // structuredClone is postMessage's algorithm.
    let thrown: unknown;
    try {
      engine.analyze('a.sql', 'SELECT 1', { dialect: 'klingon' as never });
    } catch (e) {
      thrown = e;
    }
    expect(isRippleError(thrown)).toBe(true);
    // A plain Error across postMessage loses the name and the kind...
    const cloned = structuredClone(thrown) as Error & { kind?: string };
    expect(cloned.kind).toBeUndefined();
    // ...an answer does not.
    const answer = structuredClone(
      answerTask(engine, { task: 'nonexistent', args: {} }),
    ) as TaskAnswer;
    expect('error' in answer && answer.error.message).toBe(
      'no engine task named nonexistent',
    );
    const crossing = structuredClone(toCrossing(thrown));
    const revived = fromCrossing(crossing) as Error & { kind?: string };
    expect(isRippleError(revived)).toBe(true);
    expect(revived.kind).toBe((thrown as { kind: string }).kind);
    expect(revived.message).toBe((thrown as Error).message);
  });

  it('replaces a worker that dies; the task it ran rejects, the next one succeeds', async () => {
    const pool = await create(1);
    await pool.propose(consumers[1]);
    const [first] = pool.threads;
    const running = pool.propose(big).then(
      () => undefined,
      e => e as Error,
    );
    // Killed in the middle of the task (its 3,000 files take seconds).
    await new Promise(resolve => setTimeout(resolve, 50));
    await first.terminate();
    const error = await running;
    expect(error?.message).toMatch(
      /^Ripple's engine worker failed on its propose task: worker exited/,
    );
    const after = await pool.propose(consumers[0]);
    expect(after.status).toBe('rewritten');
    expect(pool.threads.map(t => t.threadId)).not.toContain(first.threadId);
  });

  it('runs inline with 0 workers, as before the pool', async () => {
    const pool = await create(0);
    expect(pool.workers).toBe(0);
    expect(pool.concurrency).toBe(1);
    const proposal = await pool.propose(consumers[0]);
    expect(pool.threads).toEqual([]);
    expect(proposal).toEqual(
      proposePatch(engine, change, consumers[0].code, columns),
    );
  });

  it('reads ripple.engine.workers, and refuses a count that is not one', async () => {
    const pool = await EnginePool.fromConfig(
      new ConfigReader({ ripple: { engine: { workers: 3 } } }),
      engine,
    );
    pools.push(pool);
    expect(pool.workers).toBe(3);
    await expect(EnginePool.create({ engine, workers: -1 })).rejects.toThrow(
      /ripple.engine.workers must be a whole number/,
    );
  });

  it('runs inline on a replaced engine: never a proposal made by another engine than the one whose version the patch records', async () => {
    // The canary's build: another version, and a quoted output name.
    const canary = loadCanaryEngine();
    expect(canary.version()).not.toBe(engine.version());
    const pool = await create(2, canary);
    expect(pool.workers).toBe(0);
    expect(pool.engine).toBe(canary);
    const proposal = await pool.propose(consumers[1]);
    expect(pool.threads).toEqual([]);
    // (BigQuery quotes with backticks.)
    expect(proposal.diff).toContain('o.amount_usd AS `amount`');
    expect(proposal).toEqual(
      proposePatch(canary, change, consumers[1].code, columns),
    );
    expect(proposePatch(engine, change, consumers[1].code).diff).toContain(
      'o.amount_usd AS amount,\n',
    );
    // The same build behind another object is replaced too: the workers
    // could not run it.
    const wrapped = await create(2, { ...engine });
    expect(wrapped.workers).toBe(0);
  });
});
