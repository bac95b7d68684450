import type { ChangeSpec, Dialect } from '@ripple/engine';
import { DIALECTS } from './actions/inputs';

/**
 * An input given as an object or as its JSON text; undefined when it is
 * neither (the engine then says what is wrong with it).
 */
export function asObject(value: unknown): Record<string, any> | undefined {
  if (typeof value === 'string') {
    try {
      return asObject(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, any>)
    : undefined;
}

/** The change spec an input gives, when it reads as one. */
export function asChangeSpec(change: unknown): ChangeSpec | undefined {
  const spec = asObject(change);
  return typeof spec?.dataset === 'string' ? (spec as ChangeSpec) : undefined;
}

/**
 * The dialect of a run: the `dialect` input, else the change spec's, when
 * it is one (an unknown one is refused by the engine with the change).
 */
export function dialectOf(input: {
  dialect?: Dialect;
  change?: unknown;
}): Dialect | undefined {
  const dialect = asChangeSpec(input.change)?.dialect;
  return (
    input.dialect ??
    ((DIALECTS as readonly string[]).includes(dialect ?? '')
      ? dialect
      : undefined)
  );
}
