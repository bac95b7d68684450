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
  {
    description:
      "Rewrite a dbt project for a change to a source named by its warehouse relation: the project's schemas expand `select *` over refs, the property files follow the models, and a dataset no file names is logged",
    example: yaml.stringify({
      steps: [
        {
          id: 'rewrite',
          action: 'ripple:rewrite',
          name: 'Rewrite the dbt project',
          input: {
            sourcePath: 'consumer',
            project: 'consumer',
            outputDir: 'patch',
            change: {
              dataset: 'raw.raw_orders',
              dialect: 'duckdb',
              changes: [
                { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
              ],
            },
          },
        },
        {
          id: 'unmatched',
          action: 'debug:log',
          name: 'Say that no file names the dataset',
          if: '${{ steps.rewrite.output.warnings.length > 0 }}',
          input: { message: '${{ steps.rewrite.output.warnings[0].message }}' },
        },
      ],
    }),
  },
];
