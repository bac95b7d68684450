import Ajv, { ValidateFunction } from 'ajv';
import type { Response } from 'supertest';
import { spec } from '../schema/openapi/generated/router';

// The generated router validates requests against the spec; this checks the
// responses the same way in tests. (@backstage/backend-openapi-utils'
// wrapServer does it through a proxy in front of a bare Express app, which a
// whole test backend, serving the plugin under /api/ripple, is not.)
const ajv = new Ajv({ allErrors: true, strict: false });
// The spec's one format (a migration's target date, `2027-03-31`).
ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
const validators = new Map<string, ValidateFunction>();
const PREFIX = '/api/ripple';

type Operation = {
  responses: Record<
    string,
    { $ref?: string; content?: Record<string, { schema: object }> }
  >;
};

/**
 * Fails unless `res` is a response the spec allows for its request: a status
 * the operation lists, with a body matching that status' schema.
 */
export function expectValidResponse(res: Response): void {
  // supertest's response carries the Node request it answers (untyped).
  const { method, path: url } = (
    res as unknown as { req: { method: string; path: string } }
  ).req;
  const pathname = new URL(url, 'http://x').pathname;
  if (!pathname.startsWith(PREFIX)) {
    throw new Error(`${pathname} is not a Ripple route`);
  }
  const [template, operation] = findOperation(
    method.toLowerCase(),
    pathname.slice(PREFIX.length),
  );
  const response = resolve(operation.responses[String(res.status)]);
  if (!response) {
    throw new Error(
      `${method} ${template} answered ${
        res.status
      }, which the spec does not list (${Object.keys(operation.responses).join(
        ', ',
      )}): ${JSON.stringify(res.body)}`,
    );
  }
  const schema = response.content?.['application/json']?.schema;
  if (!schema) {
    return;
  }
  const key = `${method} ${template} ${res.status}`;
  let validate = validators.get(key);
  if (!validate) {
    // The schema's $refs point into the spec's components.
    validate = ajv.compile({ ...schema, components: spec.components });
    validators.set(key, validate);
  }
  if (!validate(res.body)) {
    throw new Error(
      `${key}: the body does not match the spec: ${ajv.errorsText(
        validate.errors,
      )}\n${JSON.stringify(res.body, null, 2)}`,
    );
  }
}

function findOperation(method: string, pathname: string): [string, Operation] {
  const parts = pathname.split('/');
  for (const [template, item] of Object.entries(spec.paths)) {
    const templateParts = template.split('/');
    const matches =
      templateParts.length === parts.length &&
      templateParts.every(
        (part, i) => part === parts[i] || /^\{.+\}$/.test(part),
      );
    const operation = (item as Record<string, Operation>)[method];
    if (matches && operation) {
      return [template, operation];
    }
  }
  throw new Error(`No operation in the spec for ${method} ${pathname}`);
}

function resolve(
  response: Operation['responses'][string] | undefined,
): Operation['responses'][string] | undefined {
  if (!response?.$ref) {
    return response;
  }
  const name = response.$ref.replace('#/components/responses/', '');
  return (spec.components.responses as Record<string, any>)[name];
}
