import {
  Accordion,
  AccordionPanel,
  AccordionTrigger,
  CellText,
  Flex,
  Table,
  Text,
  type ColumnConfig,
} from '@backstage/ui';
import { CodeSnippet } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { StepVerification } from '@ripple/backstage-plugin-ripple-common';
import { rippleTranslationRef, type RippleT } from '../../translation';
import styles from '../common/ripple.module.css';
import { StatusBadge } from '../common/StatusBadge';

type DifferenceRow = { id: number; cells: string[] };

/** A warehouse value on one line; SQL NULL as NULL. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The differing rows' columns: the engine's `differences` query puts the
 * row's side (`old` or `new`) first, which reads as a word of the page.
 */
function differenceColumns(
  columns: string[],
  t: RippleT,
): ColumnConfig<DifferenceRow>[] {
  return columns.map((name, i) => {
    const isSide = i === 0 && name === 'side';
    return {
      id: `c${i}`,
      label: isSide ? t('steps.verification.side') : name,
      isRowHeader: i === 0,
      cell: (r: DifferenceRow) => {
        const value = r.cells[i];
        if (isSide && (value === 'old' || value === 'new')) {
          return <CellText title={t(`steps.verification.${value}`)} />;
        }
        return <CellText title={value} />;
      },
    };
  });
}

/**
 * The verification's result: passed or not, each check (its query
 * collapsed, its value) and, when the copy differs, a sample of the rows
 * that differ, each marked with the table it comes from.
 */
export function StepVerificationResult(props: {
  verification: StepVerification;
}) {
  const { verification: v } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const rows: DifferenceRow[] = (v.differences?.rows ?? []).map((row, id) => ({
    id,
    cells: row.map(cell),
  }));
  return (
    <Flex direction="column" gap="2">
      <Text as="p" weight="bold" color={v.passed ? 'success' : 'danger'}>
        {v.passed
          ? t('steps.verification.passed')
          : t('steps.verification.failed')}
        {v.durationMs !== undefined &&
          ` ${t('steps.verification.duration', {
            seconds: (v.durationMs / 1000).toFixed(1),
          })}`}
      </Text>
      <ul
        aria-label={t('steps.verification.checksLabel')}
        className={styles.stepChecks}
      >
        {v.checks.map((check, i) => (
          <li key={i}>
            <Accordion>
              <AccordionTrigger>
                <Flex gap="2" align="center">
                  <StatusBadge
                    status={{
                      tone: check.passed ? 'done' : 'blocked',
                      label: check.passed
                        ? t('steps.verification.passedCheck')
                        : t('steps.verification.failedCheck'),
                    }}
                  />
                  <code className={styles.stepCheckSql}>{check.statement}</code>
                  {check.value !== undefined && (
                    <Text variant="body-small" color="secondary">
                      {t('steps.verification.value', {
                        value: cell(check.value),
                      })}
                    </Text>
                  )}
                </Flex>
              </AccordionTrigger>
              <AccordionPanel>
                <CodeSnippet text={check.statement} language="sql" />
              </AccordionPanel>
            </Accordion>
          </li>
        ))}
      </ul>
      {v.differences && rows.length > 0 && (
        // Red as the failure it shows (the tone says so without colour).
        <div
          role="region"
          aria-label={t('steps.verification.differencesLabel')}
          className={styles.differences}
          data-tone="blocked"
        >
          <Table<DifferenceRow>
            columnConfig={differenceColumns(v.differences.columns, t)}
            data={rows}
            pagination={{ type: 'none' }}
          />
        </div>
      )}
    </Flex>
  );
}
