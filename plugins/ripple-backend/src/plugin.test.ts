import { startTestBackend } from '@backstage/backend-test-utils';
import request from 'supertest';
import { ripplePlugin } from './plugin';

// The real plugin in a real (test) backend, running the WebAssembly engine.
describe('ripple backend', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

  beforeAll(async () => {
    ({ server } = await startTestBackend({ features: [ripplePlugin] }));
  });

  it('reports the engine version', async () => {
    const res = await request(server).get('/api/ripple/engine');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
  });

  it('lists the tables each statement reads and writes', async () => {
    const res = await request(server).post('/api/ripple/engine/tables').send({
      sql: 'INSERT INTO proj.ds.daily\nSELECT day, SUM(amount) FROM `proj.ds.orders` GROUP BY day;\nSELECT 1',
      dialect: 'bigquery',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      statements: [
        {
          start: { line: 1, column: 1 },
          end: { line: 2, column: 59 },
          reads: ['proj.ds.orders'],
          writes: ['proj.ds.daily'],
        },
        {
          start: { line: 3, column: 1 },
          end: { line: 3, column: 9 },
          reads: [],
          writes: [],
        },
      ],
    });
  });

  it('answers 400 with the parser message, line and column on bad SQL', async () => {
    const res = await request(server)
      .post('/api/ripple/engine/tables')
      .send({ sql: 'SELECT a\nFROM t WHERE', dialect: 'postgres' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      name: 'InputError',
      message: 'Expected: an expression, found: EOF at line 2, column 13',
    });
  });

  it('answers 400 naming the field when the request is malformed', async () => {
    const res = await request(server)
      .post('/api/ripple/engine/tables')
      .send({ sql: 'SELECT 1', dialect: 'oracle9' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/dialect/);

    const missing = await request(server)
      .post('/api/ripple/engine/tables')
      .send({ dialect: 'bigquery' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/sql/);
  });
});
