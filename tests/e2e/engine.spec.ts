import { expect, test } from '@playwright/test';

test('the engine routes refuse requests without a Backstage token', async ({ request }) => {
  const res = await request.post('http://localhost:7007/api/ripple/engine/tables', {
    data: { sql: 'SELECT id FROM proj.ds.orders', dialect: 'bigquery' },
  });
  expect(res.status()).toBe(401);
});
