import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import type { PageRequest } from '../database/MigrationStore';

const DEFAULT_LIMIT = 50;

/**
 * An entity ref from a request, complete (`kind:namespace/name`, the
 * namespace defaulting to `default`), or a 400 naming the field.
 */
export function entityRefField(field: string, value: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(value));
  } catch (error) {
    throw new InputError(
      `${field}: "${value}" is not an entity ref (kind:namespace/name): ${
        (error as Error).message
      }`,
    );
  }
}

/**
 * The page a request asks for, 50 items from the start unless it says:
 * after its `cursor` (a page's `nextCursor`), or after `offset` items.
 */
export function page(query: {
  limit?: number;
  offset?: number;
  cursor?: string;
}): PageRequest {
  return {
    limit: query.limit ?? DEFAULT_LIMIT,
    offset: query.offset ?? 0,
    ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
  };
}

/** How many events a request reads unless it says. */
export const DEFAULT_EVENTS = DEFAULT_LIMIT;
