import { InputError } from '@backstage/errors';
import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import { loadEngine, RippleEngine } from '@ripple/engine';

/**
 * Runs engine calls, turning what the engine refuses into an `InputError`
 * that names the action's input at fault: `change.changes[1].column: ...`,
 * `schema.tables.t.columns[0].name: ...`, or, for malformed JSON text, the
 * line and column in it.
 */
export async function withEngine<T>(
  run: (engine: RippleEngine) => T,
): Promise<T> {
  const engine = await loadEngine();
  try {
    return run(engine);
  } catch (error) {
    throw toInputError(error);
  }
}

function toInputError(error: unknown): unknown {
  if (!isRippleError(error)) {
    return error;
  }
  // The engine's messages start with what was refused ("invalid change
  // spec: ..."); the action names the input instead.
  const detail = error.message.replace(/^[^:]+: /, '');
  switch (error.kind) {
    case 'invalid_change':
      return new InputError(
        error.field ? `change.${detail}` : `change: ${detail}`,
      );
    case 'invalid_schema':
      return new InputError(
        error.field ? `schema.${detail}` : `schema: ${detail}`,
      );
    case 'compat_view':
      return new InputError(`change: ${error.message}`);
    case 'unknown_dialect':
      return new InputError(`dialect: ${error.message}`);
    default:
      return stepPlanError(error) ?? error;
  }
}

// The option or spec field a step plan error names, as the action's input.
const STEP_PLAN_FIELDS: [RegExp, (field: string) => string][] = [
  [/^changes\b/, field => `change.${field}`],
  [/^tables\b/, field => `schema.${field}`],
  [/^batch_rows$/, () => 'batchRows'],
  [/^(dialect|key)$/, field => field],
];

/**
 * An engine that knows step plans refuses one with the kind `step_plan`
 * and the field at fault (`dialect`, `key`, `changes[0].columns.amount`,
 * `tables.shop.orders.columns[2].type`). Read loosely: older engines do not
 * have the kind.
 */
function stepPlanError(error: { message: string }): InputError | undefined {
  const { kind, field } = error as { kind?: string; field?: string };
  if (kind !== 'step_plan') return undefined;
  const rule = STEP_PLAN_FIELDS.find(([pattern]) => pattern.test(field ?? ''));
  if (!rule) return new InputError(error.message);
  // "cannot build a step plan: key: nope is not a column …" names the
  // engine's field; the action names its input instead.
  const detail = error.message.replace(
    `cannot build a step plan: ${field}: `,
    '',
  );
  return new InputError(`${rule[1](field!)}: ${detail}`);
}
