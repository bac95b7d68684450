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
} from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { humanizeEntityRef } from '@backstage/plugin-catalog-react';
import { parseEntityRef } from '@backstage/catalog-model';
import type { Migration } from '@ripple/backstage-plugin-ripple-common';
import { useMigrationLink } from '../../routes';
import { rippleTranslationRef, type RippleT } from '../../translation';
import { age } from './Feedback';
import { ProgressBar } from './ProgressBar';
import { StatusBadge } from './StatusBadge';
import { migrationStatus } from './status';
import { sortRows } from './tables';

type Row = Migration & { id: string };
type Filter = { owner: string; dataset: string; state: string };
type Column =
  | 'title'
  | 'dataset'
  | 'owner'
  | 'state'
  | 'progress'
  | 'counts'
  | 'deadline'
  | 'age';

const short = (ref: string) =>
  humanizeEntityRef(parseEntityRef(ref), { defaultKind: 'resource' });

function counts(m: Migration, t: RippleT): string {
  const p = m.progress;
  if (!p) return '—';
  const n = (count: number) => ({ n: String(count) });
  return (
    [
      p.awaitingDecision &&
        t('migrationsTable.counts.awaitingDecision', n(p.awaitingDecision)),
      p.approved && t('migrationsTable.counts.approved', n(p.approved)),
      p.merged && t('migrationsTable.counts.merged', n(p.merged)),
      p.rejected && t('migrationsTable.counts.rejected', n(p.rejected)),
      p.failed && t('migrationsTable.counts.failed', n(p.failed)),
      p.unhealthy && t('migrationsTable.counts.unhealthy', n(p.unhealthy)),
    ]
      .filter(Boolean)
      .join(' · ') || t('migrationsTable.counts.total', n(p.total))
  );
}

const OPEN = ['analyzing', 'proposed', 'rolling_out', 'paused', 'rolled_back'];

/** Open, with consumers left, and past the end of its target date (UTC). */
export const overdue = (m: Migration, now = Date.now()) =>
  !!m.targetDate &&
  OPEN.includes(m.state) &&
  (m.progress?.merged ?? 0) < (m.progress?.total ?? 0) &&
  now > Date.parse(`${m.targetDate}T23:59:59.999Z`);

const done = (m: Migration) =>
  m.progress && m.progress.total ? m.progress.merged / m.progress.total : 0;

/**
 * Migrations as a sortable, filterable (owner, dataset, state), searchable
 * and paginated table, each with its progress bar and counts by status.
 */
export function MigrationsTable(props: {
  migrations: Migration[];
  columns?: Column[];
  filters?: boolean;
  /** The column sorted by at first: `age` (newest first) unless said. */
  initialSort?: 'age' | 'deadline';
  emptyState: React.ReactNode;
}) {
  const { migrations, filters = true } = props;
  const show = new Set<Column>(
    props.columns ?? [
      'title',
      'dataset',
      'owner',
      'state',
      'progress',
      'counts',
      'deadline',
      'age',
    ],
  );
  const migrationLink = useMigrationLink();
  const { t } = useTranslationRef(rippleTranslationRef);
  const rows = useMemo(
    () => migrations.map(m => ({ ...m, id: m.id })),
    [migrations],
  );
  const [filter, setFilter] = useState<Filter>({
    owner: 'all',
    dataset: 'all',
    state: 'all',
  });
  const owners = [...new Set(migrations.map(m => m.owner))].sort();
  const datasets = [...new Set(migrations.map(m => m.datasetRef))].sort();
  const states = [...new Set(migrations.map(m => m.state))].sort();

  const columnConfig: ColumnConfig<Row>[] = (
    [
      {
        id: 'title',
        label: t('migrationsTable.columns.title'),
        isRowHeader: true,
        isSortable: true,
        defaultWidth: '2fr',
        cell: m => <CellText title={m.title} href={migrationLink?.(m.id)} />,
      },
      {
        id: 'dataset',
        label: t('migrationsTable.columns.dataset'),
        isSortable: true,
        cell: m => <CellText title={short(m.datasetRef)} />,
      },
      {
        id: 'owner',
        label: t('migrationsTable.columns.owner'),
        isSortable: true,
        cell: m => (
          <CellText
            title={humanizeEntityRef(parseEntityRef(m.owner), {
              defaultKind: 'group',
            })}
          />
        ),
      },
      {
        id: 'state',
        label: t('migrationsTable.columns.state'),
        isSortable: true,
        cell: m => (
          <Cell>
            <StatusBadge status={migrationStatus(m.state, t)} />
          </Cell>
        ),
      },
      {
        id: 'progress',
        label: t('migrationsTable.columns.progress'),
        isSortable: true,
        cell: m => (
          <Cell>
            {m.progress ? (
              <Flex direction="column" gap="1">
                <ProgressBar
                  label={t('migrationsTable.progressLabel', { title: m.title })}
                  done={m.progress.merged}
                  blocked={
                    m.progress.rejected +
                    m.progress.failed +
                    m.progress.unhealthy
                  }
                  total={m.progress.total}
                />
                <Text variant="body-x-small" color="secondary">
                  {t('migrationsTable.progress', {
                    merged: String(m.progress.merged),
                    total: String(m.progress.total),
                  })}
                </Text>
              </Flex>
            ) : (
              <Text color="secondary">—</Text>
            )}
          </Cell>
        ),
      },
      {
        id: 'counts',
        label: t('migrationsTable.columns.counts'),
        defaultWidth: '1.5fr',
        cell: m => (
          <Cell>
            <Text variant="body-small">{counts(m, t)}</Text>
          </Cell>
        ),
      },
      {
        id: 'deadline',
        label: t('deadline.column'),
        isSortable: true,
        cell: m => (
          <Cell>
            {m.targetDate ? (
              <Text
                variant="body-small"
                color={overdue(m) ? 'danger' : undefined}
              >
                {overdue(m)
                  ? t('deadline.overdue', { date: m.targetDate })
                  : m.targetDate}
              </Text>
            ) : (
              <Text color="secondary">—</Text>
            )}
          </Cell>
        ),
      },
      {
        id: 'age',
        label: t('migrationsTable.columns.age'),
        isSortable: true,
        cell: m => (
          <CellText
            title={age(m.createdAt, t)}
            description={new Date(m.createdAt).toLocaleDateString()}
          />
        ),
      },
    ] as ColumnConfig<Row>[]
  ).filter(c => show.has(c.id as Column));

  const { tableProps, search } = useTable<Row, Filter>({
    mode: 'complete',
    data: rows,
    filter,
    onFilterChange: setFilter,
    paginationOptions: { pageSize: 20, pageSizeOptions: [20, 50, 100] },
    initialSort: { column: props.initialSort ?? 'age', direction: 'ascending' },
    sortFn: (data, sort) =>
      sortRows(
        data,
        sort,
        m => {
          switch (sort.column) {
            case 'title':
              return m.title.toLowerCase();
            case 'dataset':
              return m.datasetRef;
            case 'owner':
              return m.owner;
            case 'state':
              return m.state;
            case 'progress':
              return done(m);
            case 'deadline':
              // Those without a target date last.
              return m.targetDate ?? '9999-12-31';
            default:
              // Newest first when ascending by age.
              return -Date.parse(m.createdAt);
          }
        },
        m => m.id,
      ),
    searchFn: (data, query) => {
      const q = query.trim().toLowerCase();
      return q
        ? data.filter(
            m => m.title.toLowerCase().includes(q) || m.datasetRef.includes(q),
          )
        : data;
    },
    filterFn: (data, f) =>
      data.filter(
        m =>
          (f.owner === 'all' || m.owner === f.owner) &&
          (f.dataset === 'all' || m.datasetRef === f.dataset) &&
          (f.state === 'all' || m.state === f.state),
      ),
  });

  return (
    <Flex direction="column" gap="3">
      {filters && migrations.length > 0 && (
        <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
          <SearchField
            label={t('migrationsTable.searchLabel')}
            placeholder={t('migrationsTable.searchPlaceholder')}
            value={search.value}
            onChange={search.onChange}
          />
          <Select
            label={t('migrationsTable.ownerFilter')}
            value={filter.owner}
            onChange={k => k && setFilter(f => ({ ...f, owner: String(k) }))}
            options={[
              { value: 'all', label: t('migrationsTable.allOwners') },
              ...owners.map(o => ({ value: o, label: o })),
            ]}
          />
          <Select
            label={t('migrationsTable.datasetFilter')}
            value={filter.dataset}
            onChange={k => k && setFilter(f => ({ ...f, dataset: String(k) }))}
            options={[
              { value: 'all', label: t('migrationsTable.allDatasets') },
              ...datasets.map(d => ({ value: d, label: d })),
            ]}
          />
          <Select
            label={t('migrationsTable.stateFilter')}
            value={filter.state}
            onChange={k => k && setFilter(f => ({ ...f, state: String(k) }))}
            options={[
              { value: 'all', label: t('migrationsTable.allStates') },
              ...states.map(s => ({
                value: s,
                label: migrationStatus(s, t).label,
              })),
            ]}
          />
        </Flex>
      )}
      <Table<Row>
        {...tableProps}
        columnConfig={columnConfig}
        emptyState={
          migrations.length === 0 ? (
            props.emptyState
          ) : (
            <Text color="secondary">{t('migrationsTable.noMatch')}</Text>
          )
        }
      />
    </Flex>
  );
}
