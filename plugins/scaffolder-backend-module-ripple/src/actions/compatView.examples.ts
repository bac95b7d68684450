import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'The compatibility view of a table replaced by a new one, with the old schema',
    example: yaml.stringify({
      steps: [
        {
          id: 'view',
          action: 'ripple:compat-view',
          name: 'Compatibility view',
          input: {
            dialect: 'bigquery',
            change: {
              dataset: 'proj.ds.orders',
              changes: [
                { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
                { kind: 'rename_table', to: 'proj.sales.orders_v2' },
              ],
            },
            schema: {
              tables: {
                'proj.ds.orders': {
                  columns: [
                    { name: 'id', type: 'INT64' },
                    { name: 'amount', type: 'NUMERIC' },
                  ],
                },
              },
            },
          },
        },
        {
          id: 'log',
          action: 'debug:log',
          name: 'Show the DDL',
          input: { message: '${{ steps.view.output.ddl }}' },
        },
      ],
    }),
  },
];
