import { Fragment, useMemo } from 'react';
import { Flex, Text } from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { PatchReason } from '@ripple/backstage-plugin-ripple-common';
import { rippleTranslationRef, type RippleT } from '../../translation';
import { placeReasons, type DiffLine } from './diff';
import styles from './ripple.module.css';

/** A reason's severity, kind and place, in words. */
export function reasonSummary(reason: PatchReason, t: RippleT): string {
  const severity = t(`reason.severity.${reason.severity}`);
  const kind = t(`reason.kind.${reason.kind}`);
  return reason.line === undefined || reason.column === undefined
    ? t('reason.summaryWholeFile', { severity, kind })
    : t('reason.summary', {
        severity,
        kind,
        at: t('reason.at', {
          line: String(reason.line),
          column: String(reason.column),
        }),
      });
}

/** One reason, under the line it is about. */
function ReasonNote({ reason }: { reason: PatchReason }) {
  const { t } = useTranslationRef(rippleTranslationRef);
  return (
    <div
      role="note"
      className={`${styles.reason} ${styles[`reason_${reason.severity}`]}`}
      data-kind={reason.kind}
    >
      <strong>{reasonSummary(reason, t)}</strong>
      {': '}
      {reason.message}
    </div>
  );
}

const LINE_CLASS: Record<DiffLine['kind'], string | undefined> = {
  hunk: styles.diffHunk,
  added: styles.diffAdd,
  removed: styles.diffDel,
  context: styles.diffLine,
  meta: styles.diffLine,
};
const SIGN: Record<DiffLine['kind'], string> = {
  hunk: '',
  added: '+',
  removed: '-',
  context: ' ',
  meta: '',
};

/** The old and new line numbers a diff line shows in its gutter. */
function gutter(line: DiffLine): string {
  const old = 'oldLine' in line ? String(line.oldLine) : '';
  const now = 'newLine' in line ? String(line.newLine) : '';
  return `${old.padStart(5)} ${now.padStart(5)} `;
}

/**
 * A patch's diff with each of its reasons shown under the line of the
 * consumer's code it is about, and the reasons no line of the diff shows
 * (about a whole file, or a line the patch does not edit near) listed after
 * it. A patch that edits nothing is only that list.
 */
export function PatchDiff(props: {
  diff: string;
  reasons: PatchReason[];
  /** The name of the list of reasons outside the diff. */
  reasonsLabel: string;
}) {
  const { diff, reasons, reasonsLabel } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const { files, elsewhere } = useMemo(
    () => placeReasons(diff, reasons),
    [diff, reasons],
  );
  return (
    <Flex direction="column" gap="2">
      {files.map(file => (
        <div
          key={file.path}
          role="region"
          aria-label={t('patchDiff.fileLabel', { path: file.path })}
        >
          <Text as="p" variant="body-small">
            <code>{file.path}</code>
          </Text>
          <div className={styles.code}>
            {file.lines.map(({ line, reasons: here }, i) => (
              <Fragment key={i}>
                <span className={LINE_CLASS[line.kind]}>
                  {line.kind === 'hunk' || line.kind === 'meta'
                    ? line.text
                    : `${gutter(line)}${SIGN[line.kind]}${line.text}`}
                </span>
                {here.map((reason, j) => (
                  <ReasonNote key={j} reason={reason} />
                ))}
              </Fragment>
            ))}
          </div>
        </div>
      ))}
      {elsewhere.length > 0 && (
        <ul aria-label={files.length ? t('patchDiff.elsewhere') : reasonsLabel}>
          {elsewhere.map((reason, i) => (
            <li key={i}>
              <Text>
                {reason.path && (
                  <>
                    <code>{reason.path}</code>
                    {': '}
                  </>
                )}
                <strong>{reasonSummary(reason, t)}</strong>
                {': '}
                {reason.message}
              </Text>
            </li>
          ))}
        </ul>
      )}
    </Flex>
  );
}
