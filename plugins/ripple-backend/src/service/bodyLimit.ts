import { CustomErrorBase } from '@backstage/errors';
import express from 'express';

/**
 * The largest JSON body accepted. The spec's largest field is the SQL of
 * `POST /engine/tables`, up to 1 MiB (1,048,576 characters); JSON may write
 * each character as a 6-byte `\uXXXX` escape, so 1 MiB of SQL can take
 * 6 MiB of body. 8 MiB leaves room for the rest, so that no body the spec
 * allows is refused for its size.
 */
export const JSON_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** A body over {@link JSON_BODY_LIMIT_BYTES}: a 413 with a message. */
export class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  statusCode = 413;
}

/**
 * Parses JSON bodies with the spec's limit. It runs before the OpenAPI
 * router, whose own parser (100 KiB, express's default) then finds the body
 * parsed and leaves it; and whose error handler would turn a body parser's
 * 413 into a 400, so the size error is answered here.
 */
export function jsonBody(): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: JSON_BODY_LIMIT_BYTES }));
  router.use(
    (
      error: unknown,
      _req: express.Request,
      _res: express.Response,
      next: express.NextFunction,
    ) => {
      if ((error as { type?: string })?.type !== 'entity.too.large') {
        next(error);
        return;
      }
      const { length } = error as { length?: number };
      next(
        new PayloadTooLargeError(
          `The request body${
            length !== undefined ? ` is ${length} bytes; it` : ''
          } may be at most ${JSON_BODY_LIMIT_BYTES} bytes (8 MiB)`,
        ),
      );
    },
  );
  return router;
}
