import { useMemo, useState } from 'react';
import {
  Cell,
  CellText,
  Flex,
  SearchField,
  Select,
  Table,
  Text,
  useTable,
  type ColumnConfig,
  type SortDescriptor,
} from '@backstage/ui';
import { parseEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { humanizeEntityRef } from '@backstage/plugin-catalog-react';
import {
  patchReasonKinds,
  type Consumer,
  type ConsumerQuery,
  type Migration,
  type PatchReasonKind,
  type ValidationStatusFilter,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { loadAllPages, useLoad } from '../../hooks/useLoad';
import { ErrorPanel, Loading } from '../common/Feedback';
import { StatusBadge } from '../common/StatusBadge';
import {
  consumerStatus,
  statementCounts,
  type Status,
  type Tone,
  validationStatus,
  validationStatuses,
  verdictStatus,
} from '../common/status';
import { Counts } from '../common/Counts';
import { sortRows } from '../common/tables';
import { rippleTranslationRef, type RippleT } from '../../translation';
import { ConsumerDetail } from './ConsumerDetail';

type Row = Consumer & { id: string; status: Status };
type Filter = { tone: Tone | 'all'; wave: string };

const TONE_ORDER: Record<Tone, number> = {
  blocked: 0,
  active: 1,
  idle: 2,
  done: 3,
};

const VERDICT_ORDER = { breaking: 0, partially_breaking: 1, unaffected: 2 };

const columns = (t: RippleT): ColumnConfig<Row>[] => [
  {
    id: 'consumerRef',
    label: t('consumers.columns.consumer'),
    isRowHeader: true,
    isSortable: true,
    defaultWidth: '2fr',
    cell: c => (
      <CellText
        title={humanizeEntityRef(parseEntityRef(c.consumerRef), {
          defaultKind: 'component',
        })}
        description={t('consumers.kindAndSource', {
          kind: parseEntityRef(c.consumerRef).kind,
          source:
            c.discoveredBy === 'code'
              ? t('consumers.foundInCode')
              : t('consumers.declaredInCatalog'),
        })}
      />
    ),
  },
  {
    id: 'status',
    label: t('consumers.columns.status'),
    isSortable: true,
    cell: c => (
      <Cell>
        <StatusBadge status={c.status} />
      </Cell>
    ),
  },
  {
    id: 'verdict',
    label: t('consumers.columns.verdict'),
    isSortable: true,
    cell: c => {
      const verdict = verdictStatus(c.impact, t);
      return verdict ? (
        <Cell>
          <StatusBadge status={verdict} />
        </Cell>
      ) : (
        <CellText title="—" />
      );
    },
  },
  {
    id: 'references',
    label: t('consumers.columns.references'),
    isSortable: true,
    cell: c => <CellText title={String(c.impact?.references ?? '—')} />,
  },
  {
    id: 'wave',
    label: t('consumers.columns.wave'),
    isSortable: true,
    cell: c => <CellText title={c.wave === undefined ? '—' : String(c.wave)} />,
  },
  {
    id: 'validation',
    label: t('consumers.columns.validation'),
    // The list's summary: the status, and how many statements had each
    // outcome (the statements themselves are in the consumer's detail).
    cell: c => {
      const counts =
        c.validation && statementCounts(t, c.validation.statementCounts);
      return (
        <Cell>
          <Flex direction="column" gap="1">
            <StatusBadge status={validationStatus(t, c.validation)} />
            {counts && (
              <Text variant="body-small" color="secondary">
                {counts}
              </Text>
            )}
          </Flex>
        </Cell>
      );
    },
  },
  {
    id: 'delivery',
    label: t('consumers.columns.delivery'),
    cell: c =>
      c.delivery?.checks === 'failing' ? (
        <Cell>
          <Flex direction="column" gap="1">
            <Text variant="body-small">{c.delivery.status}</Text>
            <Text variant="body-small" color="danger">
              {t('consumers.checksFailing', {
                checks: checkNames(t, c.delivery.failedChecks),
              })}
            </Text>
          </Flex>
        </Cell>
      ) : (
        <CellText
          title={c.delivery ? c.delivery.status : '—'}
          description={c.delivery?.method}
        />
      ),
  },
];

/** The failed checks' names, or a word when the method named none. */
export function checkNames(
  t: RippleT,
  failed: { name: string }[] | undefined,
): string {
  return failed?.length
    ? failed.map(f => f.name).join(', ')
    : t('consumers.someChecks');
}

function sortConsumers(rows: Row[], sort: SortDescriptor) {
  return sortRows(
    rows,
    sort,
    r => {
      switch (sort.column) {
        case 'status':
          return TONE_ORDER[r.status.tone];
        case 'verdict':
          return r.impact?.verdict ? VERDICT_ORDER[r.impact.verdict] : 3;
        case 'references':
          return r.impact?.references ?? -1;
        case 'wave':
          return r.wave ?? Number.MAX_SAFE_INTEGER;
        default:
          return r.consumerRef;
      }
    },
    r => r.consumerRef,
  );
}

/**
 * The consumers the backend keeps for the filters it applies (a reason's
 * kind, a validation's status; it selects them in SQL), reloaded whenever
 * the whole list is; undefined when no such filter is set.
 */
function useConsumersFiltered(
  migrationId: string,
  reasonKind: PatchReasonKind | 'all',
  validation: ValidationStatusFilter | 'all',
  consumers: Consumer[],
) {
  const rippleApi = useApi(rippleApiRef);
  return useLoad(
    () => {
      const query: ConsumerQuery = {
        ...(reasonKind !== 'all' && { reasonKind: [reasonKind] }),
        ...(validation !== 'all' && { validationStatus: [validation] }),
      };
      return Object.keys(query).length === 0
        ? Promise.resolve(undefined)
        : loadAllPages(page =>
            rippleApi.listConsumers(migrationId, { ...page, ...query }),
          );
    },
    [rippleApi, migrationId, reasonKind, validation],
    { refreshKey: consumers },
  );
}

/**
 * A migration's consumers: counts by status, a searchable, filterable,
 * sortable and paginated table (thousands of consumers stay responsive:
 * only a page is rendered), and the selected consumer's patch and review.
 * Filtering by a reason's kind or a validation's status asks the backend
 * for those consumers.
 */
export function ConsumersPanel(props: {
  migration: Migration;
  consumers: Consumer[];
  selected?: string;
  onSelect: (consumerRef: string | undefined) => void;
  onChanged: () => void;
  /** The rollout plan requires validation: see {@link ConsumerDetail}. */
  requireValidation?: boolean;
}) {
  const {
    migration,
    consumers,
    selected,
    onSelect,
    onChanged,
    requireValidation,
  } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const [reasonKind, setReasonKind] = useState<PatchReasonKind | 'all'>('all');
  const [validation, setValidation] = useState<ValidationStatusFilter | 'all'>(
    'all',
  );
  const filtered = useConsumersFiltered(
    migration.id,
    reasonKind,
    validation,
    consumers,
  );
  const byBackend = reasonKind !== 'all' || validation !== 'all';
  const shown = byBackend ? filtered.value : consumers;
  const rows = useMemo<Row[]>(
    () =>
      (shown ?? []).map(c => ({
        ...c,
        id: c.consumerRef,
        status: consumerStatus(c, t),
      })),
    [shown, t],
  );
  const reasonOptions = useMemo(
    () => [
      { value: 'all', label: t('consumers.allReasons') },
      ...patchReasonKinds.map(kind => ({
        value: kind,
        label: t(`reason.kind.${kind}`),
      })),
    ],
    [t],
  );
  const validationOptions = useMemo(
    () => [
      { value: 'all', label: t('consumers.allValidations') },
      ...validationStatuses.map(status => ({
        value: status,
        label: t(`validation.status.${status}`),
      })),
      { value: 'not_validated', label: t('validation.notValidated') },
    ],
    [t],
  );
  const columnConfig = useMemo(() => columns(t), [t]);
  const counts = useMemo(() => {
    const byTone: Record<Tone, number> = {
      done: 0,
      active: 0,
      blocked: 0,
      idle: 0,
    };
    rows.forEach(r => (byTone[r.status.tone] += 1));
    return byTone;
  }, [rows]);
  const waves = useMemo(
    () =>
      [
        ...new Set(rows.flatMap(r => (r.wave === undefined ? [] : [r.wave]))),
      ].sort((a, b) => a - b),
    [rows],
  );
  const [filter, setFilter] = useState<Filter>({ tone: 'all', wave: 'all' });

  const { tableProps, search } = useTable<Row, Filter>({
    mode: 'complete',
    data: rows,
    filter,
    onFilterChange: setFilter,
    paginationOptions: { pageSize: 25, pageSizeOptions: [25, 50, 100] },
    initialSort: { column: 'status', direction: 'ascending' },
    sortFn: sortConsumers,
    searchFn: (data, query) => {
      const q = query.trim().toLowerCase();
      return q ? data.filter(r => r.consumerRef.includes(q)) : data;
    },
    filterFn: (data, f) =>
      data.filter(
        r =>
          (f.tone === 'all' || r.status.tone === f.tone) &&
          (f.wave === 'all' || String(r.wave) === f.wave),
      ),
  });
  // Kept open when a filter leaves it out of the table.
  const current = consumers.find(c => c.consumerRef === selected);

  return (
    <Flex direction="column" gap="4">
      <Counts
        label={t('consumers.countsLabel')}
        items={[
          { label: t('consumers.total'), value: rows.length },
          ...(['done', 'active', 'blocked'] as Tone[]).map(tone => ({
            label: (
              <StatusBadge status={{ tone, label: t(`status.tone.${tone}`) }} />
            ),
            value: counts[tone],
          })),
        ]}
      />
      <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
        <SearchField
          label={t('consumers.searchLabel')}
          placeholder={t('consumers.searchPlaceholder')}
          value={search.value}
          onChange={search.onChange}
        />
        <Select
          label={t('consumers.statusFilter')}
          value={filter.tone}
          onChange={key =>
            key && setFilter(f => ({ ...f, tone: key as Filter['tone'] }))
          }
          options={[
            { value: 'all', label: t('consumers.allStatuses') },
            { value: 'blocked', label: t('consumers.blockedFilter') },
            { value: 'active', label: t('consumers.activeFilter') },
            { value: 'done', label: t('consumers.doneFilter') },
          ]}
        />
        <Select
          label={t('consumers.reasonFilter')}
          value={reasonKind}
          onChange={key => key && setReasonKind(key as PatchReasonKind | 'all')}
          options={reasonOptions}
        />
        <Select
          label={t('consumers.validationFilter')}
          value={validation}
          onChange={key =>
            key && setValidation(key as ValidationStatusFilter | 'all')
          }
          options={validationOptions}
        />
        {waves.length > 0 && (
          <Select
            label={t('consumers.waveFilter')}
            value={filter.wave}
            onChange={key =>
              key && setFilter(f => ({ ...f, wave: String(key) }))
            }
            options={[
              { value: 'all', label: t('consumers.allWaves') },
              ...waves.map(w => ({
                value: String(w),
                label: t('consumers.wave', { wave: String(w) }),
              })),
            ]}
          />
        )}
      </Flex>
      {byBackend && filtered.loading && (
        <Loading label={t('consumers.filteredLoading')} rows={3} />
      )}
      {byBackend && filtered.error && (
        <ErrorPanel
          title={t('consumers.filteredError')}
          error={filtered.error}
        />
      )}
      <Table<Row>
        {...tableProps}
        columnConfig={columnConfig}
        rowConfig={{ onClick: r => onSelect(r.consumerRef) }}
        emptyState={
          <Text color="secondary">
            {consumers.length === 0
              ? t('consumers.none')
              : t('consumers.noMatch')}
          </Text>
        }
      />
      {current && (
        <ConsumerDetail
          migration={migration}
          consumer={current}
          onChanged={onChanged}
          onClose={() => onSelect(undefined)}
          requireValidation={requireValidation}
        />
      )}
    </Flex>
  );
}
