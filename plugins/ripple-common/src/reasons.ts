import type { Finding } from '@ripple/engine';
import type {
  PatchReason,
  PatchReasonKind,
} from './schema/openapi/generated/models';

/**
 * One of the engine's findings in the file at `path`, as a patch's reason:
 * its start becomes `line` and `column`, its end `endLine` and
 * `endColumn`, both absent for a finding about the whole file.
 *
 * @public
 */
export function patchReason(path: string, finding: Finding): PatchReason {
  const { kind, severity, start, end, message } = finding;
  return {
    path,
    kind,
    severity,
    ...(start && end
      ? {
          line: start.line,
          column: start.column,
          endLine: end.line,
          endColumn: end.column,
        }
      : {}),
    message,
  };
}

/**
 * The backend's own reason for a consumer it could not have the engine
 * rewrite: the engine threw on a file (`engine_failed`), or an annotation
 * of the consumer's entity is unusable (`unusable_annotation`).
 *
 * @public
 */
export function failureReason(
  path: string,
  kind: Extract<PatchReasonKind, 'engine_failed' | 'unusable_annotation'>,
  message: string,
): PatchReason {
  return { path, kind, severity: 'error', message };
}

/**
 * A reason as people read it: `line N, column M: message`, or the message
 * alone when it is about the whole file or consumer. The text the CLI's
 * report, the scaffolder's summary and the UI show (a finding reads the
 * same through `patchReason`).
 *
 * @public
 */
export function reasonText(
  reason: Pick<PatchReason, 'line' | 'column' | 'message'>,
): string {
  return reason.line !== undefined && reason.column !== undefined
    ? `line ${reason.line}, column ${reason.column}: ${reason.message}`
    : reason.message;
}

// One entry per kind: a kind the spec adds fails to compile here until it
// is listed (and then until the frontend words it).
const KINDS: Record<PatchReasonKind, null> = {
  dropped_column_used: null,
  retyped_column_used: null,
  ambiguous_name: null,
  unresolved_name: null,
  unparsed_statement: null,
  using_join: null,
  natural_join: null,
  template_branch: null,
  placeholder_table: null,
  dbt_source_move: null,
  positional_column: null,
  unnamed_table: null,
  uneditable_name: null,
  field_path: null,
  mapped_column_use: null,
  unaliased_output: null,
  unreadable_mapping: null,
  star_without_schema: null,
  star_with_modifiers: null,
  star_over_tables: null,
  star_through_pivot: null,
  output_names_kept: null,
  verification_failed: null,
  overlapping_edits: null,
  invalid_change: null,
  file_too_large: null,
  engine_failed: null,
  unusable_annotation: null,
  unclassified: null,
};

/**
 * Every kind a patch's reason can have: the engine's finding kinds, then the
 * backend's own.
 *
 * @public
 */
export const patchReasonKinds = Object.keys(KINDS) as PatchReasonKind[];
