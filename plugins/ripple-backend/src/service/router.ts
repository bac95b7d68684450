import { InputError } from '@backstage/errors';
import type { RippleEngine, RippleError } from '@ripple/engine';
import express from 'express';
import { createOpenApiRouter } from '../schema/openapi';

export async function createRouter(options: {
  engine: RippleEngine;
}): Promise<express.Router> {
  const { engine } = options;
  // Requests are validated against src/schema/openapi.yaml before they reach
  // a handler; a malformed one gets a 400 naming the offending field.
  const router = await createOpenApiRouter();

  router.get('/engine', (_req, res) => {
    res.json({ version: engine.version() });
  });

  router.post('/engine/tables', (req, res) => {
    const { sql, dialect } = req.body;
    try {
      res.json({ statements: engine.tables(sql, dialect) });
    } catch (error) {
      if (isRippleError(error)) {
        throw new InputError(error.message);
      }
      throw error;
    }
  });

  return router;
}

function isRippleError(error: unknown): error is RippleError {
  return error instanceof Error && error.name === 'RippleError';
}
