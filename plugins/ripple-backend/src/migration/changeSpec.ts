import type { ChangeSpec as ApiChangeSpec } from '@ripple/backstage-plugin-ripple-common';
import { InputError } from '@backstage/errors';
import type { ChangeSpec, RippleEngine } from '@ripple/engine';

/**
 * Refuses a change spec the engine would refuse, with a 400 naming the field
 * at fault (`change.changes[1].to: must be a column name`). The engine is the
 * one definition of the format, so the API does not describe it twice.
 *
 * This is the one place the API validates change specs (creation and
 * preview). The engine's check covers the SQL a spec carries verbatim too:
 * each `replace_table` mapping must be exactly one expression and each
 * `change_type` type one data type of the spec's dialect, because both end
 * up in the compatibility view's DDL and in consumers' code (a mapping
 * `1 FROM t; DROP TABLE x; SELECT 1` is refused here, naming the field).
 */
export function checkChangeSpec(
  engine: Pick<RippleEngine, 'validateChange'>,
  change: ApiChangeSpec,
): void {
  const [problem] = engine.validateChange(change as unknown as ChangeSpec);
  if (problem) {
    // The request names the spec `change`.
    throw new InputError(
      problem.field
        ? `change.${problem.field}: ${problem.message}`
        : `change: ${problem.message}`,
    );
  }
}
