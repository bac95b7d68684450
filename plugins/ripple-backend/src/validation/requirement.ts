import type { Validation } from '@ripple/backstage-plugin-ripple-common';

/**
 * What a rollout plan with `requireValidation` makes of a patch version's
 * latest validation (docs/validation.md, "Requiring validation"): it counts
 * when it `passed`, or was `skipped` with its reason. Otherwise `why` says
 * what is wrong, as a clause about the patch ("its validation failed on
 * warehouse test: audit.sql:1: ..."), and `final` tells a result that
 * stays until a person acts (failed, error, skipped without a reason: a
 * validation runs once per version) from one still to come (not run yet,
 * pending, running). Auto-approvals apply the same rule in SQL
 * (src/database/autoApprovals.ts).
 */
export type ValidationVerdict =
  | { ok: true }
  | {
      ok: false;
      /** The validation's status, or `not_validated` when it has none. */
      status: Validation['status'] | 'not_validated';
      why: string;
      final: boolean;
      /** The validation's id, when there is one. */
      validationId?: number;
    };

/** The plan's condition, in the words of every refusal and hold. */
export const REQUIREMENT =
  'the rollout plan requires a passed validation (or one skipped with its reason)';

/** Whether a validation counts for a plan with `requireValidation`, and why not. */
export function validationVerdict(
  validation: Validation | undefined,
): ValidationVerdict {
  if (!validation) {
    return {
      ok: false,
      status: 'not_validated',
      why: 'it has not been validated yet (the validation task runs each patch version with an edit once its dataset names a warehouse: annotation ripple.io/warehouse)',
      final: false,
    };
  }
  const on = `on warehouse ${validation.warehouse}`;
  const hold = (why: string, final: boolean): ValidationVerdict => ({
    ok: false,
    status: validation.status,
    why,
    final,
    validationId: validation.id,
  });
  switch (validation.status) {
    case 'passed':
      return { ok: true };
    case 'skipped':
      // Every skip names its reason (validatePatch); one that does not is
      // no evidence, and does not count.
      return validation.reason
        ? { ok: true }
        : hold(
            `its validation ${on} was skipped without a reason, which does not count: validate it again`,
            true,
          );
    case 'pending':
      return hold(
        `its validation ${on} is pending (asked for, not started yet)`,
        false,
      );
    case 'running':
      return hold(`its validation ${on} is running`, false);
    case 'failed':
      return hold(
        `its validation ${on} failed: ${details(validation, 'failed')}`,
        true,
      );
    default:
      return hold(
        `its validation ${on} ended in an error: ${details(
          validation,
          'error',
        )}`,
        true,
      );
  }
}

/**
 * Why a validation failed or ended in an error: its own reason, else its
 * statements' (where, the rows, the columns that differ).
 */
function details(validation: Validation, status: 'failed' | 'error'): string {
  if (validation.reason?.trim()) return validation.reason.trim();
  const statements = validation.statements.filter(s => s.status === status);
  const described = statements.slice(0, 3).map(s => {
    const parts: string[] = [];
    if (s.reason) parts.push(s.reason);
    if (s.rows) {
      parts.push(
        `${rows(s.rows.before)} before the patch, ${s.rows.after} after`,
      );
    }
    const differing = (s.columns ?? []).filter(c => !c.equal).map(c => c.name);
    if (differing.length) {
      parts.push(`columns whose values differ: ${differing.join(', ')}`);
    }
    if (s.missing?.before.length) {
      parts.push(
        `columns only before the patch: ${s.missing.before.join(', ')}`,
      );
    }
    if (s.missing?.after.length) {
      parts.push(`columns only after the patch: ${s.missing.after.join(', ')}`);
    }
    if (!s.reason && s.differences?.length) {
      parts.push(`${rows(s.differences.length, 'differing ')} in the sample`);
    }
    return `${s.path}:${s.line}: ${parts.join(', ') || status}`;
  });
  if (statements.length > described.length) {
    described.push(`${statements.length - described.length} more statements`);
  }
  return described.join('; ') || `no statement says why`;
}

function rows(n: number, what = ''): string {
  return `${n} ${what}row${n === 1 ? '' : 's'}`;
}

/**
 * Names some of a list (`a, b and 3 more`), so that a reason over a wave
 * of thousands stays readable.
 */
export function someOf(items: string[], shown = 5): string {
  if (items.length <= shown) return items.join('; ');
  return `${items.slice(0, shown).join('; ')}; and ${
    items.length - shown
  } more`;
}
