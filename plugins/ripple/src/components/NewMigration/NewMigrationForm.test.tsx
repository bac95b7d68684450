import fs from 'node:fs';
import path from 'node:path';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { loadEngine } from '@ripple/engine';
import {
  aMigration,
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import type {
  ConsumerCode,
  Dataset,
} from '@ripple/backstage-plugin-ripple-common';
import { NewMigrationForm } from './NewMigrationForm';

// The real WebAssembly engine (its Node build) over the example catalog's
// consumers: only the backend is mocked, and the preview makes no request.
const examples = path.resolve(__dirname, '../../../../../examples/consumers');
function consumer(
  name: string,
  files: string[],
  discoveredBy: ConsumerCode['discoveredBy'] = 'catalog',
): ConsumerCode {
  return {
    consumerRef: `component:default/${name}`,
    discoveredBy,
    files: files.map(f => ({
      path: f,
      language: 'sql',
      content: fs.readFileSync(path.join(examples, name, f), 'utf8'),
    })),
  };
}
const code: ConsumerCode[] = [
  consumer('orders-export', ['export_orders.py']),
  consumer('finance-reports', ['sql/monthly_close.sql']),
  consumer(
    'fraud-scoring',
    ['src/main/scala/com/example/FraudScoring.scala'],
    'code',
  ),
  // Reads the dataset through a dbt source, under the name sources.yml maps to it.
  {
    ...consumer('jaffle-dbt', [
      'models/stg_orders.sql',
      'models/daily_revenue.sql',
    ]),
    tableNames: ['shop.orders'],
  },
  // Names another table only.
  {
    consumerRef: 'component:default/unrelated',
    discoveredBy: 'code',
    files: [
      {
        path: 'q.sql',
        language: 'sql',
        content: 'SELECT id FROM proj.ds.customers',
      },
    ],
  },
];
const dataset: Dataset = {
  ref: 'resource:default/orders',
  table: 'proj.ds.orders',
  dialect: 'bigquery',
  columns: [
    { name: 'id', type: 'INT64' },
    { name: 'amount', type: 'NUMERIC' },
    { name: 'ts', type: 'TIMESTAMP' },
    { name: 'status' },
    { name: 'cust' },
  ],
};

async function renderForm(
  api = mockRippleApi(),
  onCreated = jest.fn(),
  consumers = code,
) {
  await renderWithRipple(
    <NewMigrationForm
      datasetRef="resource:default/orders"
      dataset={dataset}
      code={consumers}
      onCreated={onCreated}
      onCancel={jest.fn()}
    />,
    { api },
  );
  return { api, onCreated };
}

async function choose(label: RegExp, option: string | RegExp) {
  await userEvent.click(screen.getByRole('button', { name: label }));
  await userEvent.click(await screen.findByRole('option', { name: option }));
}

describe('NewMigrationForm', () => {
  beforeAll(() => loadEngine());

  it('recomputes the impact in the browser on every edit, without a request', async () => {
    const { api } = await renderForm();
    const preview = screen.getByRole('region', { name: 'Impact preview' });
    expect(preview).toHaveTextContent('Choose the column to see the impact.');

    await choose(/Column/, 'amount (NUMERIC)');
    expect(preview).toHaveTextContent('Type the new name to see the impact.');
    await userEvent.type(
      screen.getByRole('textbox', { name: 'New name' }),
      'amount_usd',
    );

    const summary = within(preview).getByLabelText('Impact summary');
    expect(summary).toHaveTextContent('Consumers affected4 of 5');
    const affected = within(preview).getByRole('list', {
      name: 'Affected consumers',
    });
    expect(affected).toHaveTextContent('component:default/orders-export');
    expect(affected).toHaveTextContent('component:default/finance-reports');
    expect(affected).toHaveTextContent('component:default/fraud-scoring');
    expect(affected).toHaveTextContent('component:default/jaffle-dbt');
    expect(affected).not.toHaveTextContent('unrelated');
    expect(
      within(preview).getByText(
        /Computed in your browser in [\d.]+ ms over 5 consumers/,
      ),
    ).toBeInTheDocument();

    // The diff of a consumer, opened.
    await userEvent.click(
      within(affected).getByText('component:default/orders-export'),
    );
    await waitFor(() => expect(affected).toHaveTextContent('amount_usd'));

    for (const method of Object.values(api))
      expect(method).not.toHaveBeenCalled();
  });

  it("warns of a declared consumer whose code names the dataset nowhere (the backend's check), and says dbt property files are left out", async () => {
    const misnamed: ConsumerCode = {
      consumerRef: 'component:default/misnamed-report',
      discoveredBy: 'catalog',
      files: [
        {
          path: 'report.sql',
          language: 'sql',
          content: 'SELECT id, amount FROM `proj.ds.order`',
        },
      ],
      warning: {
        dataset: 'proj.ds.orders',
        closest: ['proj.ds.order'],
        message:
          'no file names `proj.ds.orders` (as a table, ref() or source()); the closest names the files use: proj.ds.order',
      },
    };
    await renderForm(undefined, undefined, [...code, misnamed]);
    await choose(/Column/, 'amount (NUMERIC)');
    await userEvent.type(
      screen.getByRole('textbox', { name: 'New name' }),
      'amount_usd',
    );
    const preview = screen.getByRole('region', { name: 'Impact preview' });
    expect(
      within(preview).getByText(
        'The code of 1 consumer names the dataset nowhere',
      ),
    ).toBeInTheDocument();
    expect(
      within(preview).getByRole('list', {
        name: 'Consumers whose code names the dataset nowhere',
      }),
    ).toHaveTextContent(
      'component:default/misnamed-report: no file names proj.ds.orders; the closest names it uses: proj.ds.order',
    );
    // jaffle-dbt is a dbt project: its schema.yml is for the patches only.
    expect(preview).toHaveTextContent(
      'dbt property files (schema.yml) are left out of this preview',
    );
    expect(within(preview).getByLabelText('Impact summary')).toHaveTextContent(
      'Consumers affected4 of 6',
    );
  });

  it('says what needs an edit when a column is dropped', async () => {
    await renderForm();
    await choose(/Change/, 'Drop a column');
    await choose(/Column/, 'amount (NUMERIC)');
    const preview = screen.getByRole('region', { name: 'Impact preview' });
    expect(within(preview).getByLabelText('Impact summary')).toHaveTextContent(
      /Will be rewritten\d+Needs an edit\d+/,
    );
    // The consumers by the engine's verdict: those reading `amount` break.
    expect(within(preview).getByLabelText('Impact summary')).toHaveTextContent(
      /Breaking[1-9]\d*Partially breaking\d+Unaffected\d+$/,
    );
    await userEvent.click(
      within(preview).getByText('component:default/orders-export'),
    );
    expect(
      await within(preview).findByRole('list', {
        name: /Why component:default\/orders-export needs an edit/,
      }),
    ).toHaveTextContent(/amount/);
  });

  it("shows the engine's refusal of a change, with the field", async () => {
    await renderForm();
    await choose(/Column/, 'amount (NUMERIC)');
    await userEvent.type(
      screen.getByRole('textbox', { name: 'New name' }),
      'amount.usd',
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The engine refuses this changeinvalid change spec: changes[0].to: must be a column name',
    );
    expect(
      screen.getByRole('button', { name: 'Create the migration' }),
    ).toBeDisabled();
  });

  it('creates the migration and asks for its analysis', async () => {
    const created = aMigration({ state: 'draft' });
    const api = mockRippleApi({
      createMigration: async () => created,
      analyzeMigration: async () => ({ ...created, state: 'analyzing' }),
    });
    const { onCreated } = await renderForm(api);
    await choose(/Column/, 'amount (NUMERIC)');
    await userEvent.type(
      screen.getByRole('textbox', { name: 'New name' }),
      'amount_usd',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Create the migration' }),
    );

    await waitFor(() =>
      expect(onCreated).toHaveBeenCalledWith({
        ...created,
        state: 'analyzing',
      }),
    );
    expect(api.createMigration).toHaveBeenCalledWith({
      datasetRef: 'resource:default/orders',
      change: {
        dataset: 'proj.ds.orders',
        dialect: 'bigquery',
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      },
      title: 'Rename amount to amount_usd',
    });
    expect(api.analyzeMigration).toHaveBeenCalledWith('m1');
  });

  it('creates the migration with a target date, refusing one that is not a day', async () => {
    const created = aMigration({ state: 'draft', targetDate: '2027-03-31' });
    const api = mockRippleApi({
      createMigration: async () => created,
      analyzeMigration: async () => ({ ...created, state: 'analyzing' }),
    });
    const { onCreated } = await renderForm(api);
    await choose(/Column/, 'amount (NUMERIC)');
    await userEvent.type(
      screen.getByRole('textbox', { name: 'New name' }),
      'amount_usd',
    );
    const date = screen.getByRole('textbox', { name: 'Target date' });
    await userEvent.type(date, '2027-13-01');
    expect(
      screen.getByRole('button', { name: 'Create the migration' }),
    ).toBeDisabled();
    await userEvent.clear(date);
    await userEvent.type(date, '2027-03-31');
    await userEvent.click(
      screen.getByRole('button', { name: 'Create the migration' }),
    );
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(api.createMigration).toHaveBeenCalledWith(
      expect.objectContaining({ targetDate: '2027-03-31' }),
    );
  });

  it("shows the backend's refusal to create", async () => {
    const api = mockRippleApi({
      createMigration: async () =>
        Promise.reject(
          responseError(
            403,
            'You are not allowed to create migrations (ripple.migration.create)',
          ),
        ),
    });
    await renderForm(api);
    await choose(/Change/, 'Move the table');
    await userEvent.type(
      screen.getByRole('textbox', { name: 'New table' }),
      'proj.sales.orders',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Create the migration' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You are not allowed to create migrations (ripple.migration.create)',
    );
  });
});
