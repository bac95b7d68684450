import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "The step plan of a column rename on PostgreSQL, written as SQL files for the template's pull request",
    example: yaml.stringify({
      steps: [
        {
          id: 'plan',
          action: 'ripple:plan',
          name: 'Step plan',
          input: {
            dialect: 'postgres',
            change: {
              dataset: 'shop.orders',
              changes: [
                { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
              ],
            },
            schema: {
              tables: {
                'shop.orders': {
                  columns: [
                    { name: 'id', type: 'BIGINT' },
                    { name: 'amount', type: 'NUMERIC(12,2)' },
                  ],
                },
              },
            },
            key: 'id',
            batchRows: 50000,
          },
        },
        {
          id: 'log',
          action: 'debug:log',
          name: 'Show the files',
          input: { message: '${{ steps.plan.output.files | join(", ") }}' },
        },
      ],
    }),
  },
  {
    description:
      'The step plan of a table moved to a new name on DuckDB, from the JSON text of the change and schema, into a folder of its own',
    example: yaml.stringify({
      steps: [
        {
          id: 'plan',
          action: 'ripple:plan',
          name: 'Step plan',
          input: {
            change:
              '{"dataset": "shop.orders", "dialect": "duckdb", "changes": [{"kind": "rename_table", "to": "sales.orders"}]}',
            schema:
              '{"tables": {"shop.orders": {"columns": [{"name": "id", "type": "BIGINT"}, {"name": "amount", "type": "DOUBLE"}]}}}',
            directory: 'warehouse/migrations/orders-move',
          },
        },
      ],
    }),
  },
];
