import { InputError } from '@backstage/errors';
import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, RippleEngine } from '@ripple/engine';

/**
 * Refuses a change spec the engine would refuse, with a 400 naming the field
 * at fault (`change.changes[1].to: must be a column name`). The engine is the
 * one definition of the format, so the API does not describe it twice.
 */
export function checkChangeSpec(
  engine: RippleEngine,
  change: Record<string, unknown>,
): void {
  try {
    // rewrite() validates the spec before it reads the file; with an empty
    // file there is nothing else to do, so this is the spec check alone.
    engine.rewrite('change.sql', '', change as unknown as ChangeSpec);
  } catch (error) {
    if (isRippleError(error) && error.kind === 'invalid_change') {
      // The engine says "invalid change spec: changes[1].to: ..."; the request
      // names the spec `change`.
      const detail = error.message.replace(/^invalid change spec: /, '');
      throw new InputError(
        error.field ? `change.${detail}` : `change: ${detail}`,
      );
    }
    throw error;
  }
}
