'use strict';

// The upstream changes the dbt test makes to each project in projects/.
//
// Each change has:
// - `spec`: the change spec `ripple rewrite` is given. A model or seed is
//   named as dbt users name it (`stg_orders`); a source as dbt's Jinja
//   renders it (`ecom.raw_orders`), or by its warehouse relation
//   (`raw.raw_orders`), the name a data platform's catalog gives it.
// - `producer`: the producer's own change, made by hand before Ripple runs:
//   the upstream model's SQL or the seed's (or export file's) header, and the
//   producer's own entry in its property file. `edits` replace `from` with
//   `to` in `file`, at the first `from` after `after` when given (a property
//   file holds several models' entries); `moves` rename files. Each `from`
//   must be found, or the test is wrong.
// - `consumers`: the files that must change for `dbt build` to pass with the
//   same rows: models, singular tests and property files (relationships
//   tests, column entries, unit tests' fixtures, exposures), written down by
//   hand from reading the project. A property file holding the producer's
//   own entry is a consumer too when another entry in it names the change.

const DIALECT = 'duckdb';

const renameColumn = (dataset, column, to) => ({
  dataset,
  dialect: DIALECT,
  changes: [{ kind: 'rename_column', column, to }],
});
const renameTable = (dataset, to) => ({
  dataset,
  dialect: DIALECT,
  changes: [{ kind: 'rename_table', to }],
});

const projects = [
  {
    project: 'jaffle_shop',
    changes: [
      {
        name: 'seed raw_orders: rename column user_id to customer_ref',
        spec: renameColumn('raw_orders', 'user_id', 'customer_ref'),
        producer: {
          edits: [
            {
              file: 'seeds/raw_orders.csv',
              from: 'id,user_id,order_date,status\n',
              to: 'id,customer_ref,order_date,status\n',
            },
            {
              file: 'seeds/seeds.yml',
              after: '- name: raw_orders',
              from: '- name: user_id',
              to: '- name: customer_ref',
            },
          ],
        },
        consumers: ['models/staging/stg_orders.sql'],
      },
      {
        name: 'seed raw_payments: rename column amount to amount_cents',
        spec: renameColumn('raw_payments', 'amount', 'amount_cents'),
        producer: {
          edits: [
            {
              file: 'seeds/raw_payments.csv',
              from: 'id,order_id,payment_method,amount\n',
              to: 'id,order_id,payment_method,amount_cents\n',
            },
            {
              file: 'seeds/seeds.yml',
              after: '- name: raw_payments',
              from: '- name: amount',
              to: '- name: amount_cents',
            },
          ],
        },
        consumers: ['models/staging/stg_payments.sql'],
      },
      {
        name: 'stg_orders: rename column order_date to ordered_on',
        spec: renameColumn('stg_orders', 'order_date', 'ordered_on'),
        producer: {
          edits: [
            {
              file: 'models/staging/stg_orders.sql',
              from: '        order_date,\n',
              to: '        order_date as ordered_on,\n',
            },
            {
              file: 'models/staging/schema.yml',
              after: '- name: stg_orders',
              from: '- name: order_date',
              to: '- name: ordered_on',
            },
          ],
        },
        // The unit test's fixture rows of stg_orders name order_date.
        consumers: [
          'models/marts/customers.sql',
          'models/marts/orders.sql',
          'models/marts/schema.yml',
        ],
      },
      {
        name: 'stg_payments: rename column amount to amount_usd',
        spec: renameColumn('stg_payments', 'amount', 'amount_usd'),
        producer: {
          edits: [
            {
              file: 'models/staging/stg_payments.sql',
              from: 'amount / 100 as amount\n',
              to: 'amount / 100 as amount_usd\n',
            },
            {
              file: 'models/staging/schema.yml',
              after: '- name: stg_payments',
              from: '- name: amount',
              to: '- name: amount_usd',
            },
          ],
        },
        consumers: [
          'models/marts/customers.sql',
          // Read inside a Jinja for loop.
          'models/marts/orders.sql',
          'tests/assert_payments_not_negative.sql',
          'models/marts/schema.yml',
        ],
      },
      {
        name: 'stg_orders: rename column order_id to order_key (a relationships test and a unit test use it)',
        spec: renameColumn('stg_orders', 'order_id', 'order_key'),
        producer: {
          edits: [
            {
              file: 'models/staging/stg_orders.sql',
              from: 'id as order_id,',
              to: 'id as order_key,',
            },
            {
              file: 'models/staging/schema.yml',
              after: '- name: stg_orders',
              from: '- name: order_id',
              to: '- name: order_key',
            },
          ],
        },
        consumers: [
          'models/marts/customers.sql',
          'models/marts/orders.sql',
          // stg_payments.order_id's relationships test: `field: order_id` of ref('stg_orders').
          'models/staging/schema.yml',
          // The unit test's stg_orders rows (not its stg_payments rows, nor the expected rows).
          'models/marts/schema.yml',
        ],
      },
      {
        name: 'stg_customers: rename column customer_id to customer_key (a relationships test uses it)',
        spec: renameColumn('stg_customers', 'customer_id', 'customer_key'),
        producer: {
          edits: [
            {
              file: 'models/staging/stg_customers.sql',
              from: 'id as customer_id,',
              to: 'id as customer_key,',
            },
            {
              file: 'models/staging/schema.yml',
              after: '- name: stg_customers',
              from: '- name: customer_id',
              to: '- name: customer_key',
            },
          ],
        },
        // stg_orders.customer_id's relationships test, in the producer's own property file.
        consumers: ['models/marts/customers.sql', 'models/staging/schema.yml'],
      },
      {
        name: 'rename model stg_orders to stg_sales_orders (a relationships test and a unit test use it)',
        spec: renameTable('stg_orders', 'stg_sales_orders'),
        producer: {
          moves: [
            {
              from: 'models/staging/stg_orders.sql',
              to: 'models/staging/stg_sales_orders.sql',
            },
          ],
          edits: [
            {
              file: 'models/staging/schema.yml',
              from: '  - name: stg_orders\n',
              to: '  - name: stg_sales_orders\n',
            },
          ],
        },
        consumers: [
          'models/marts/customers.sql',
          'models/marts/orders.sql',
          // `to: ref('stg_orders')` of stg_payments.order_id's relationships test.
          'models/staging/schema.yml',
          // `input: ref('stg_orders')` of the unit test.
          'models/marts/schema.yml',
        ],
      },
      {
        name: 'rename model customers to dim_customers (a relationships test and an exposure use it)',
        spec: renameTable('customers', 'dim_customers'),
        producer: {
          moves: [
            {
              from: 'models/marts/customers.sql',
              to: 'models/marts/dim_customers.sql',
            },
          ],
          edits: [
            {
              file: 'models/marts/schema.yml',
              from: '  - name: customers\n',
              to: '  - name: dim_customers\n',
            },
          ],
        },
        // Only YAML reads it: orders.customer_id's relationships test, and the exposure.
        consumers: ['models/marts/schema.yml', 'models/exposures.yml'],
      },
      {
        name: 'orders: rename column status to order_status (a semantic model reads it)',
        spec: renameColumn('orders', 'status', 'order_status'),
        producer: {
          edits: [
            {
              file: 'models/marts/orders.sql',
              from: '        orders.status,\n',
              to: '        orders.status as order_status,\n',
            },
            {
              file: 'models/marts/schema.yml',
              after: '  - name: orders\n',
              from: '- name: status',
              to: '- name: order_status',
            },
          ],
        },
        // The semantic model's `status` dimension (dbt builds without noticing; MetricFlow would fail).
        consumers: ['models/marts/semantic_models.yml'],
      },
      {
        name: 'rename model orders to fct_orders (a semantic model and an exposure use it)',
        spec: renameTable('orders', 'fct_orders'),
        producer: {
          moves: [
            {
              from: 'models/marts/orders.sql',
              to: 'models/marts/fct_orders.sql',
            },
          ],
          edits: [
            {
              file: 'models/marts/schema.yml',
              from: '  - name: orders\n',
              to: '  - name: fct_orders\n',
            },
            // The producer's own unit test.
            {
              file: 'models/marts/schema.yml',
              from: '    model: orders\n',
              to: '    model: fct_orders\n',
            },
          ],
        },
        // The semantic model's `model: ref('orders')`, and the exposure's depends_on.
        consumers: ['models/marts/semantic_models.yml', 'models/exposures.yml'],
      },
    ],
  },
  {
    project: 'shop_sources',
    changes: [
      {
        name: "source('ecom', 'raw_orders'): rename column amount_cents to total_cents",
        spec: renameColumn('ecom.raw_orders', 'amount_cents', 'total_cents'),
        producer: {
          edits: [
            {
              file: 'raw_data/raw_orders.csv',
              from: ',amount_cents\n',
              to: ',total_cents\n',
            },
            {
              file: 'models/sources.yml',
              after: '- name: raw_orders',
              from: '- name: amount_cents',
              to: '- name: total_cents',
            },
          ],
        },
        consumers: [
          'models/staging/stg_shop_orders.sql',
          'models/marts/daily_orders.sql',
        ],
      },
      {
        name: "source('ecom', 'raw_customers'): rename column id to customer_id (a relationships test uses it)",
        spec: renameColumn('ecom.raw_customers', 'id', 'customer_id'),
        producer: {
          edits: [
            {
              file: 'raw_data/raw_customers.csv',
              from: 'id,name,email\n',
              to: 'customer_id,name,email\n',
            },
            {
              file: 'models/sources.yml',
              after: '- name: raw_customers',
              from: '- name: id\n',
              to: '- name: customer_id\n',
            },
          ],
        },
        consumers: [
          'models/staging/stg_shop_customers.sql',
          // raw_orders.customer_id's relationships test: `field: id` of source('ecom', 'raw_customers').
          'models/sources.yml',
        ],
      },
      {
        name: 'warehouse table raw.raw_orders (the source, by its relation): rename column ordered_at to created_at',
        spec: renameColumn('raw.raw_orders', 'ordered_at', 'created_at'),
        producer: {
          edits: [
            {
              file: 'raw_data/raw_orders.csv',
              from: 'id,customer_id,ordered_at,',
              to: 'id,customer_id,created_at,',
            },
            {
              file: 'models/sources.yml',
              after: '- name: raw_orders',
              from: '- name: ordered_at',
              to: '- name: created_at',
            },
          ],
        },
        consumers: [
          'models/staging/stg_shop_orders.sql',
          'models/marts/daily_orders.sql',
        ],
      },
      {
        name: 'stg_shop_orders: rename column status to order_status (read through o.*, and by a unit test)',
        spec: renameColumn('stg_shop_orders', 'status', 'order_status'),
        producer: {
          edits: [
            {
              file: 'models/staging/stg_shop_orders.sql',
              from: '    o.status,\n',
              to: '    o.status as order_status,\n',
            },
            {
              file: 'models/staging/_staging.yml',
              after: '- name: stg_shop_orders',
              from: '- name: status',
              to: '- name: order_status',
            },
          ],
        },
        consumers: [
          // `o.*` outputs it: orders_enriched's own `status` column (and its accepted_values test) stays.
          'models/marts/orders_enriched.sql',
          'models/marts/customer_revenue.sql',
          // The unit test's stg_shop_orders rows.
          'models/marts/_marts.yml',
        ],
      },
      {
        name: 'rename model stg_shop_items to stg_shop_order_items (a unit test uses it)',
        spec: renameTable('stg_shop_items', 'stg_shop_order_items'),
        producer: {
          moves: [
            {
              from: 'models/staging/stg_shop_items.sql',
              to: 'models/staging/stg_shop_order_items.sql',
            },
          ],
          edits: [
            {
              file: 'models/staging/_staging.yml',
              from: '  - name: stg_shop_items\n',
              to: '  - name: stg_shop_order_items\n',
            },
          ],
        },
        consumers: [
          'models/marts/customer_revenue.sql',
          'models/marts/_marts.yml',
        ],
      },
    ],
  },
];

module.exports = { projects };
