/**
 * A small dbt project, as fetch:plain would leave it in a workspace under
 * `shop/`: a source declared by its relation (`ecom.raw_orders` is
 * `raw.raw_orders`), a staging model reading it, a model whose import CTE
 * selects `*` from the staging model (its columns known only from the
 * project), and property files that name both.
 */
export const shopProject: Record<string, string> = {
  'shop/dbt_project.yml': "name: shop\nversion: '1.0.0'\nprofile: warehouse\n",
  'shop/models/sources.yml': [
    'version: 2',
    'sources:',
    '  - name: ecom',
    '    schema: raw',
    '    tables:',
    '      - name: raw_orders',
    '        columns:',
    '          - name: id',
    '          - name: customer',
    '          - name: amount',
    '',
  ].join('\n'),
  'shop/models/staging/stg_orders.sql':
    "select id as order_id, customer, amount from {{ source('ecom', 'raw_orders') }}\n",
  'shop/models/staging/stg_orders.yml': [
    'version: 2',
    'models:',
    '  - name: stg_orders',
    '    columns:',
    '      - name: customer',
    '        tests:',
    '          - relationships: # every order has a customer',
    "              to: source('ecom', 'raw_orders')",
    '              field: customer',
    '',
  ].join('\n'),
  'shop/models/orders.sql': [
    "with orders as (select * from {{ ref('stg_orders') }})",
    '',
    'select order_id, customer from orders',
    '',
  ].join('\n'),
  'shop/models/orders.yml': [
    'version: 2',
    'models:',
    '  - name: orders',
    '    columns:',
    '      - name: customer',
    '        tests:',
    '          - relationships:',
    "              to: ref('stg_orders')",
    '              field: customer',
    '',
  ].join('\n'),
  // Not the project's: installed packages and logs are not read.
  'shop/dbt_packages/util/models/stg_orders.sql': 'select 1 as one\n',
  'shop/logs/dbt.log': 'nothing\n',
};
