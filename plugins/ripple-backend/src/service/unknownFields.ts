import { InputError } from '@backstage/errors';
import express from 'express';
import { spec } from '../schema/openapi/generated/router';

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
  items?: Schema;
  oneOf?: readonly Schema[];
  allOf?: readonly Schema[];
  enum?: readonly unknown[];
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
 * owner)`, at any depth (`request/body/change/changes/0/colour`; a `oneOf`
 * branch is chosen by its `kind`, as the change spec's are). It reads the
 * same spec, so it never disagrees with the router.
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
      if (!schema?.properties) {
        continue;
      }
      const route = template.replace(/\{(\w+)\}/g, ':$1');
      router.all(route, (req, _res, next) => {
        if (req.method.toLowerCase() !== method) {
          next();
          return;
        }
        const found = unknownField(schema, req.body, 'request/body');
        if (found) {
          throw new InputError(
            `${found.path}: unknown field (expected ${found.known.join(', ')})`,
          );
        }
        next();
      });
    }
  }
  return router;
}

/** The first field of `value` its schema does not list, and where. */
function unknownField(
  schema: Schema | undefined,
  value: unknown,
  path: string,
): { path: string; known: string[] } | undefined {
  const resolved = resolve(schema);
  if (!resolved || value === null || typeof value !== 'object') {
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unknownField(resolved.items, item, `${path}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  if (resolved.oneOf) {
    // The branch the value's `kind` names; without one, the router says.
    const branch = resolved.oneOf
      .map(resolve)
      .find(b => b?.properties?.kind?.enum?.includes(record.kind));
    return unknownField(branch, value, path);
  }
  if (!resolved.properties) {
    return undefined;
  }
  const known = Object.keys(resolved.properties);
  if (resolved.additionalProperties === false) {
    const unknown = Object.keys(record).find(key => !known.includes(key));
    if (unknown) return { path: `${path}/${unknown}`, known };
  }
  for (const [key, property] of Object.entries(resolved.properties)) {
    const inner = property.allOf?.length === 1 ? property.allOf[0] : property;
    const found = unknownField(inner, record[key], `${path}/${key}`);
    if (found) return found;
  }
  return undefined;
}

function resolve(schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) {
    return schema;
  }
  const name = schema.$ref.replace('#/components/schemas/', '');
  return (spec.components.schemas as Record<string, Schema>)[name];
}
