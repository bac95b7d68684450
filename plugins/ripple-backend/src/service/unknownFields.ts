import { InputError } from '@backstage/errors';
import express from 'express';
import { spec } from '../schema/openapi/generated/router';

type Schema = {
  $ref?: string;
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
};
type Operation = {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

/**
 * Names the field a request body has and the spec does not list.
 *
 * The generated router refuses such a body, but with "request/body must NOT
 * have additional properties", which does not say which field; this runs
 * first, for every body schema with `additionalProperties: false`, and says
 * `request/body/colour: unknown field (expected datasetRef, change, title,
 * owner)`. It reads the same spec, so it never disagrees with the router.
 */
export function unknownBodyFields(): express.Router {
  const router = express.Router();
  router.use(express.json());
  const paths = spec.paths as Record<string, Record<string, Operation>>;
  for (const [template, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const schema = resolve(
        operation.requestBody?.content?.['application/json']?.schema,
      );
      if (!schema?.properties || schema.additionalProperties !== false) {
        continue;
      }
      const known = Object.keys(schema.properties);
      const route = template.replace(/\{(\w+)\}/g, ':$1');
      router.all(route, (req, _res, next) => {
        if (req.method.toLowerCase() !== method) {
          next();
          return;
        }
        const body = req.body;
        if (body && typeof body === 'object' && !Array.isArray(body)) {
          const unknown = Object.keys(body).filter(key => !known.includes(key));
          if (unknown.length > 0) {
            throw new InputError(
              `request/body/${unknown[0]}: unknown field (expected ${known.join(
                ', ',
              )})`,
            );
          }
        }
        next();
      });
    }
  }
  return router;
}

function resolve(schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) {
    return schema;
  }
  const name = schema.$ref.replace('#/components/schemas/', '');
  return (spec.components.schemas as Record<string, Schema>)[name];
}
