import type { ConsumerCode } from '../agent/ConsumerSources';
import { compiledModel, compiledPatch } from './compiledModel';

const MODEL = `{{ config(materialized='table') }}

with orders as (
    select id, amount from {{ ref('stg_orders') }}
),
refunds as (
    select id, amount from {{ ref('stg_refunds') }}
)
select
    o.id,
    o.amount,
    r.amount as refunded
from orders o
left join refunds r using (id)
{% if is_incremental() %}
where o.id > (select max(id) from {{ this }})
{% endif %}`;

const COMPILED = `

with orders as (
    select id, amount from "dev"."main"."stg_orders"
),
refunds as (
    select id, amount from "dev"."main"."stg_refunds"
)
select
    o.id,
    o.amount,
    r.amount as refunded
from orders o
left join refunds r using (id)
`;

const compiled = { path: 'target/compiled/p/models/m.sql', text: COMPILED };
const patch = (patched: string, text = COMPILED) =>
  compiledPatch(
    { path: 'models/m.sql', text: MODEL, patched },
    { ...compiled, text },
  );

describe('compiledPatch', () => {
  it('makes each edit of the model where its lines are in the compiled SQL', () => {
    const patched = MODEL.replace(
      '    o.amount,',
      '    o.amount_usd as amount,',
    )
      .replace('r.amount as refunded', 'r.amount_usd as refunded')
      .replace('from orders o\n', 'from orders o\n-- one line more\n');
    expect(patch(patched)).toEqual({
      patched: COMPILED.replace('    o.amount,', '    o.amount_usd as amount,')
        .replace('r.amount as refunded', 'r.amount_usd as refunded')
        .replace('from orders o\n', 'from orders o\n-- one line more\n'),
    });
  });

  it('takes the lines around an edit whose lines are there more than once', () => {
    // `select a` is there twice: the line before it makes it unique.
    const twice = `select a\nfrom x\n-- 1\nselect a\nfrom y\n`;
    const result = compiledPatch(
      {
        path: 'm.sql',
        text: twice,
        patched: twice.replace('-- 1\nselect a', '-- 1\nselect b'),
      },
      { path: 'c.sql', text: twice },
    );
    expect(result).toEqual({
      patched: `select a\nfrom x\n-- 1\nselect b\nfrom y\n`,
    });
  });

  it('refuses an edit it cannot place, saying why', () => {
    expect(
      patch(
        MODEL.replace('    o.amount,', '    o.amount_usd,'),
        COMPILED.replace('    o.amount,', '    o.amount ,'),
      ),
    ).toEqual({
      skip: 'target/compiled/p/models/m.sql is stale: line 11 of models/m.sql is not in it (or is in a Jinja branch dbt did not render); run `dbt compile` again',
    });
    // In the branch dbt did not render, and with Jinja.
    expect(patch(MODEL.replace('where o.id >', 'where o.id >='))).toEqual({
      skip: 'the patch edits Jinja at line 16 of models/m.sql, which target/compiled/p/models/m.sql holds rendered',
    });
    expect(
      compiledPatch(
        { path: 'm.sql', text: 'select a', patched: 'select b' },
        { path: 'c.sql', text: 'select a\nunion all\nselect a' },
      ),
    ).toEqual({
      skip: 'line 1 of m.sql is in c.sql more than once: the patch cannot be placed in it',
    });
  });

  it('refuses edits of Jinja, in the model or in the patch', () => {
    expect(
      patch(MODEL.replace("ref('stg_refunds')", "ref('refunds')")),
    ).toEqual({
      skip: 'the patch edits Jinja at line 7 of models/m.sql, which target/compiled/p/models/m.sql holds rendered',
    });
    expect(
      patch(MODEL.replace('    o.id,', "    o.id, {{ var('x') }},")),
    ).toEqual({
      skip: 'the patch edits Jinja at line 10 of models/m.sql, which target/compiled/p/models/m.sql holds rendered',
    });
  });
});

describe('compiledModel', () => {
  const code = (project: string): ConsumerCode => ({
    location: 'file:///x',
    files: [],
    project: [{ path: 'dbt_project.yml', text: project }],
    compiled: [{ path: 'target/compiled/shop/models/m.sql', text: 'select 1' }],
  });

  it("finds the model's compiled SQL under the project's name", () => {
    expect(compiledModel(code('name: shop\n'), 'models/m.sql')).toEqual({
      path: 'target/compiled/shop/models/m.sql',
      text: 'select 1',
    });
    expect(
      compiledModel(code('name: other\n'), 'models/m.sql'),
    ).toBeUndefined();
    expect(compiledModel(code('name: [\n'), 'models/m.sql')).toBeUndefined();
    expect(compiledModel(code('shop\n'), 'models/m.sql')).toBeUndefined();
  });
});
