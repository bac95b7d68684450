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
