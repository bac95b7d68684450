import { useState } from 'react';
import {
  Alert,
  Button,
  CellText,
  Flex,
  Table,
  Text,
  type ColumnConfig,
} from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  Validation,
  ValidationStatement,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { rippleTranslationRef, type RippleT } from '../../translation';
import { ErrorPanel } from '../common/Feedback';
import styles from '../common/ripple.module.css';
import { StatusBadge } from '../common/StatusBadge';
import {
  statementCounts,
  validationStatementStatus,
  validationStatus,
} from '../common/status';

type DifferenceRow = { id: number; key: string; before: string; after: string };

/** Bytes as people read them (BigQuery bills by the byte scanned). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${
    units[unit]
  }`;
}

/** A row's values as the warehouse gave them, one line; none as a dash. */
function values(row: unknown[] | undefined) {
  return row ? row.map(v => (v === null ? 'NULL' : String(v))).join(', ') : '—';
}

const differenceColumns = (t: RippleT): ColumnConfig<DifferenceRow>[] => [
  {
    id: 'key',
    label: t('validationDetail.columns.key'),
    isRowHeader: true,
    cell: r => <CellText title={r.key} />,
  },
  {
    id: 'before',
    label: t('validationDetail.columns.before'),
    cell: r => <CellText title={r.before} />,
  },
  {
    id: 'after',
    label: t('validationDetail.columns.after'),
    cell: r => <CellText title={r.after} />,
  },
];

/**
 * One statement run on both sides: where it is, its status, its row counts
 * and, when it failed, the columns whose checksums differ and the sample
 * of differing rows.
 */
function StatementResult({ statement }: { statement: ValidationStatement }) {
  const { t } = useTranslationRef(rippleTranslationRef);
  const where = t('validationDetail.at', {
    path: statement.path,
    line: String(statement.line),
  });
  const bad = statement.status === 'failed' || statement.status === 'error';
  const differing = (statement.columns ?? []).filter(c => !c.equal);
  const differences: DifferenceRow[] = (statement.differences ?? []).map(
    (d, i) => ({
      id: i,
      key: values(d.key),
      before: values(d.before),
      after: values(d.after),
    }),
  );
  return (
    <li aria-label={where}>
      <Flex direction="column" gap="2">
        <Flex align="center" gap="3">
          <Text weight="bold">{where}</Text>
          <StatusBadge
            status={validationStatementStatus(t, statement.status)}
          />
          {statement.rows && (
            <Text color="secondary">
              {t('validationDetail.rows', {
                before: String(statement.rows.before),
                after: String(statement.rows.after),
              })}
            </Text>
          )}
        </Flex>
        {statement.reason && (
          <Text as="p" color={bad ? 'danger' : 'secondary'}>
            {statement.reason}
          </Text>
        )}
        {differing.length > 0 && (
          <Text as="p" color="danger">
            {t('validationDetail.columnsDiffer', {
              columns: differing.map(c => c.name).join(', '),
            })}
          </Text>
        )}
        {statement.missing && statement.missing.before.length > 0 && (
          <Text as="p" color="danger">
            {t('validationDetail.missingBefore', {
              columns: statement.missing.before.join(', '),
            })}
          </Text>
        )}
        {statement.missing && statement.missing.after.length > 0 && (
          <Text as="p" color="danger">
            {t('validationDetail.missingAfter', {
              columns: statement.missing.after.join(', '),
            })}
          </Text>
        )}
        {differences.length > 0 && (
          // Red as the failure it shows (the tone says so without colour).
          <div
            role="region"
            aria-label={t('validationDetail.differencesLabel', { at: where })}
            className={styles.differences}
            data-tone="blocked"
          >
            <Table<DifferenceRow>
              columnConfig={differenceColumns(t)}
              data={differences}
              pagination={{ type: 'none' }}
            />
          </div>
        )}
      </Flex>
    </li>
  );
}

/**
 * The latest validation of a consumer's current patch: its status on its
 * warehouse and each statement's result; for those allowed to review the
 * consumer, a button that asks for it to run again.
 */
export function ValidationPanel(props: {
  migrationId: string;
  consumerRef: string;
  validation: Validation;
  canValidate: boolean;
  onValidated: () => void;
}) {
  const { migrationId, consumerRef, validation, canValidate, onValidated } =
    props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const running =
    validation.status === 'pending' || validation.status === 'running';
  const counts = statementCounts(t, validation.statementCounts);

  const validateAgain = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await rippleApi.validatePatch(migrationId, consumerRef);
      onValidated();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-label={t('validationDetail.title')}>
      <Flex direction="column" gap="2">
        <Flex justify="between" align="center" gap="3">
          <Flex align="center" gap="3">
            <Text as="h4" variant="title-x-small">
              {t('validationDetail.title')}
            </Text>
            <StatusBadge status={validationStatus(t, validation)} />
            <Text color="secondary">
              {t('validation.onWarehouse', { warehouse: validation.warehouse })}
              {counts && ` · ${counts}`}
            </Text>
          </Flex>
          {canValidate && (
            <Button
              variant="secondary"
              isDisabled={busy || running}
              onPress={validateAgain}
            >
              {t('validationDetail.validateAgain')}
            </Button>
          )}
        </Flex>
        {validation.reason && (
          <Text
            as="p"
            color={validation.status === 'error' ? 'danger' : 'secondary'}
          >
            {validation.reason}
          </Text>
        )}
        {(validation.sample || validation.bytesProcessed !== undefined) && (
          <Text as="p" variant="body-small" color="secondary">
            {[
              validation.sample &&
                t('validationDetail.sample', { sample: validation.sample }),
              validation.bytesProcessed !== undefined &&
                t('validationDetail.scanned', {
                  bytes: formatBytes(validation.bytesProcessed),
                }),
            ]
              .filter(Boolean)
              .join(' · ')}
          </Text>
        )}
        {running && (
          <Alert
            status="info"
            icon
            title={t('validationDetail.runningTitle')}
          />
        )}
        {error && (
          <ErrorPanel
            title={t('validationDetail.validateError')}
            error={error}
          />
        )}
        {validation.statements.length > 0 ? (
          <ul aria-label={t('validationDetail.statementsLabel')}>
            {validation.statements.map(s => (
              <StatementResult key={`${s.path}:${s.line}`} statement={s} />
            ))}
          </ul>
        ) : (
          !running && (
            <Text as="p" color="secondary">
              {t('validationDetail.noStatements')}
            </Text>
          )
        )}
      </Flex>
    </section>
  );
}
