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
import { humanizeEntityRef } from '@backstage/plugin-catalog-react';
import { parseEntityRef } from '@backstage/catalog-model';
import type { Migration } from '@ripple/backstage-plugin-ripple-common';
import { useMigrationLink } from '../../routes';
import { age } from './Feedback';
import { ProgressBar } from './ProgressBar';
import { StatusBadge } from './StatusBadge';
import { migrationStatus } from './status';

type Row = Migration & { id: string };
type Filter = { owner: string; dataset: string; state: string };
type Column = 'title' | 'dataset' | 'owner' | 'state' | 'progress' | 'counts' | 'age';

const short = (ref: string) => humanizeEntityRef(parseEntityRef(ref), { defaultKind: 'resource' });

function counts(m: Migration): string {
  const p = m.progress;
  if (!p) return '—';
  return [
    p.needsReview && `${p.needsReview} to review`,
    p.approved && `${p.approved} approved`,
    p.merged && `${p.merged} merged`,
    p.rejected && `${p.rejected} rejected`,
    p.failed && `${p.failed} failed`,
    p.unhealthy && `${p.unhealthy} unhealthy`,
  ]
    .filter(Boolean)
    .join(' · ') || `${p.total} consumers`;
}

const done = (m: Migration) => (m.progress && m.progress.total ? m.progress.merged / m.progress.total : 0);

/**
 * Migrations as a sortable, filterable (owner, dataset, state), searchable
 * and paginated table, each with its progress bar and counts by status.
 */
export function MigrationsTable(props: {
  migrations: Migration[];
  columns?: Column[];
  filters?: boolean;
  emptyState: React.ReactNode;
}) {
  const { migrations, filters = true } = props;
  const show = new Set<Column>(props.columns ?? ['title', 'dataset', 'owner', 'state', 'progress', 'counts', 'age']);
  const migrationLink = useMigrationLink();
  const rows = useMemo(() => migrations.map(m => ({ ...m, id: m.id })), [migrations]);
  const [filter, setFilter] = useState<Filter>({ owner: 'all', dataset: 'all', state: 'all' });
  const owners = [...new Set(migrations.map(m => m.owner))].sort();
  const datasets = [...new Set(migrations.map(m => m.datasetRef))].sort();
  const states = [...new Set(migrations.map(m => m.state))].sort();

  const columnConfig: ColumnConfig<Row>[] = (
    [
      {
        id: 'title',
        label: 'Migration',
        isRowHeader: true,
        isSortable: true,
        defaultWidth: '2fr',
        cell: m => <CellText title={m.title} href={migrationLink?.(m.id)} />,
      },
      {
        id: 'dataset',
        label: 'Dataset',
        isSortable: true,
        cell: m => <CellText title={short(m.datasetRef)} />,
      },
      {
        id: 'owner',
        label: 'Owner',
        isSortable: true,
        cell: m => <CellText title={humanizeEntityRef(parseEntityRef(m.owner), { defaultKind: 'group' })} />,
      },
      {
        id: 'state',
        label: 'State',
        isSortable: true,
        cell: m => (
          <Cell>
            <StatusBadge status={migrationStatus(m.state)} />
          </Cell>
        ),
      },
      {
        id: 'progress',
        label: 'Migrated',
        isSortable: true,
        cell: m => (
          <Cell>
            {m.progress ? (
              <Flex direction="column" gap="1">
                <ProgressBar
                  label={`${m.title}: consumers migrated`}
                  done={m.progress.merged}
                  blocked={m.progress.rejected + m.progress.failed + m.progress.unhealthy}
                  total={m.progress.total}
                />
                <Text variant="body-x-small" color="secondary">
                  {m.progress.merged} / {m.progress.total}
                </Text>
              </Flex>
            ) : (
              <Text color="secondary">—</Text>
            )}
          </Cell>
        ),
      },
      { id: 'counts', label: 'Consumers', cell: m => <CellText title={counts(m)} /> },
      {
        id: 'age',
        label: 'Age',
        isSortable: true,
        cell: m => <CellText title={age(m.createdAt)} description={new Date(m.createdAt).toLocaleDateString()} />,
      },
    ] as ColumnConfig<Row>[]
  ).filter(c => show.has(c.id as Column));

  const { tableProps, search } = useTable<Row, Filter>({
    mode: 'complete',
    data: rows,
    filter,
    onFilterChange: setFilter,
    paginationOptions: { pageSize: 20, pageSizeOptions: [20, 50, 100] },
    initialSort: { column: 'age', direction: 'ascending' },
    sortFn: (data, sort) => {
      const key = (m: Row): string | number => {
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
          default:
            // Newest first when ascending by age.
            return -Date.parse(m.createdAt);
        }
      };
      const sorted = [...data].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        return x < y ? -1 : x > y ? 1 : 0;
      });
      return sort.direction === 'descending' ? sorted.reverse() : sorted;
    },
    searchFn: (data, query) => {
      const q = query.trim().toLowerCase();
      return q ? data.filter(m => m.title.toLowerCase().includes(q) || m.datasetRef.includes(q)) : data;
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
          <SearchField label="Search migrations" placeholder="Title or dataset" value={search.value} onChange={search.onChange} />
          <Select
            label="Owner"
            value={filter.owner}
            onChange={k => k && setFilter(f => ({ ...f, owner: String(k) }))}
            options={[{ value: 'all', label: 'All owners' }, ...owners.map(o => ({ value: o, label: o }))]}
          />
          <Select
            label="Dataset"
            value={filter.dataset}
            onChange={k => k && setFilter(f => ({ ...f, dataset: String(k) }))}
            options={[{ value: 'all', label: 'All datasets' }, ...datasets.map(d => ({ value: d, label: d }))]}
          />
          <Select
            label="State"
            value={filter.state}
            onChange={k => k && setFilter(f => ({ ...f, state: String(k) }))}
            options={[
              { value: 'all', label: 'All states' },
              ...states.map(s => ({ value: s, label: migrationStatus(s).label })),
            ]}
          />
        </Flex>
      )}
      <Table<Row>
        {...tableProps}
        columnConfig={columnConfig}
        emptyState={
          migrations.length === 0 ? props.emptyState : <Text color="secondary">No migration matches the search and filters.</Text>
        }
      />
    </Flex>
  );
}
