import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Rename a column in a consumer repository and open a pull request with the changed files only',
    example: yaml.stringify({
      steps: [
        {
          id: 'rewrite',
          action: 'ripple:rewrite',
          name: 'Rewrite for the rename',
          input: {
            sourcePath: 'consumer',
            outputDir: 'patch',
            change: {
              dataset: 'proj.ds.orders',
              dialect: 'bigquery',
              changes: [
                { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
              ],
            },
          },
        },
        {
          id: 'pull-request',
          action: 'publish:github:pull-request',
          name: 'Open the pull request',
          if: '${{ steps.rewrite.output.changed.length > 0 }}',
          input: {
            repoUrl: 'github.com?owner=acme&repo=orders-export',
            branchName: 'ripple/rename-amount',
            title: 'Rename proj.ds.orders.amount to amount_usd',
            description: '${{ steps.rewrite.output.diff }}',
            sourcePath: 'patch',
          },
        },
      ],
    }),
  },
  {
    description:
      'Preview the diff of a table move without writing anything (the change as JSON text)',
    example: yaml.stringify({
      steps: [
        {
          id: 'preview',
          action: 'ripple:rewrite',
          name: 'Preview the rewrite',
          input: {
            paths: ['sql', 'models/**/*.sql'],
            dryRun: true,
            change:
              '{"dataset": "proj.ds.orders", "changes": [{"kind": "rename_table", "to": "proj.sales.orders_v2"}]}',
          },
        },
      ],
    }),
  },
];
