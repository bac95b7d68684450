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
import { parseEntityRef } from '@backstage/catalog-model';
import { humanizeEntityRef } from '@backstage/plugin-catalog-react';
import type { Consumer, Migration } from '@ripple/backstage-plugin-ripple-common';
import { StatusBadge } from '../common/StatusBadge';
import { consumerStatus, TONE_LABELS, type Status, type Tone } from '../common/status';
import styles from '../common/ripple.module.css';
import { ConsumerDetail } from './ConsumerDetail';

type Row = Consumer & { id: string; status: Status };
type Filter = { tone: Tone | 'all'; wave: string };

const TONE_ORDER: Record<Tone, number> = { blocked: 0, active: 1, idle: 2, done: 3 };

const columns: ColumnConfig<Row>[] = [
  {
    id: 'consumerRef',
    label: 'Consumer',
    isRowHeader: true,
    isSortable: true,
    defaultWidth: '2fr',
    cell: c => (
      <CellText
        title={humanizeEntityRef(parseEntityRef(c.consumerRef))}
        description={`${parseEntityRef(c.consumerRef).kind} · ${c.discoveredBy === 'code' ? 'found in its code' : 'declared in the catalog'}`}
      />
    ),
  },
  {
    id: 'status',
    label: 'Status',
    isSortable: true,
    cell: c => (
      <Cell>
        <StatusBadge status={c.status} />
      </Cell>
    ),
  },
  {
    id: 'references',
    label: 'References',
    isSortable: true,
    cell: c => <CellText title={String(c.impact?.references ?? '—')} />,
  },
  {
    id: 'wave',
    label: 'Wave',
    isSortable: true,
    cell: c => <CellText title={c.wave === undefined ? '—' : String(c.wave)} />,
  },
  {
    id: 'delivery',
    label: 'Delivery',
    cell: c => (
      <CellText
        title={c.delivery ? c.delivery.status : '—'}
        description={c.delivery?.method}
      />
    ),
  },
];

function sortRows(rows: Row[], sort: { column: unknown; direction: string }) {
  const key = (r: Row): string | number => {
    switch (sort.column) {
      case 'status':
        return TONE_ORDER[r.status.tone];
      case 'references':
        return r.impact?.references ?? -1;
      case 'wave':
        return r.wave ?? Number.MAX_SAFE_INTEGER;
      default:
        return r.consumerRef;
    }
  };
  const sorted = [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x !== y) return x < y ? -1 : 1;
    return a.consumerRef < b.consumerRef ? -1 : a.consumerRef > b.consumerRef ? 1 : 0;
  });
  return sort.direction === 'descending' ? sorted.reverse() : sorted;
}

/**
 * A migration's consumers: counts by status, a searchable, filterable,
 * sortable and paginated table (thousands of consumers stay responsive:
 * only a page is rendered), and the selected consumer's patch and review.
 */
export function ConsumersPanel(props: {
  migration: Migration;
  consumers: Consumer[];
  selected?: string;
  onSelect: (consumerRef: string | undefined) => void;
  onChanged: () => void;
}) {
  const { migration, consumers, selected, onSelect, onChanged } = props;
  const rows = useMemo<Row[]>(
    () => consumers.map(c => ({ ...c, id: c.consumerRef, status: consumerStatus(c) })),
    [consumers],
  );
  const counts = useMemo(() => {
    const byTone: Record<Tone, number> = { done: 0, active: 0, blocked: 0, idle: 0 };
    rows.forEach(r => (byTone[r.status.tone] += 1));
    return byTone;
  }, [rows]);
  const waves = useMemo(
    () => [...new Set(rows.flatMap(r => (r.wave === undefined ? [] : [r.wave])))].sort((a, b) => a - b),
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
    sortFn: sortRows,
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
  const current = rows.find(r => r.consumerRef === selected);

  return (
    <Flex direction="column" gap="4">
      <dl className={styles.counts} aria-label="Consumers by status">
        <div>
          <dt>Consumers</dt>
          <dd>{rows.length}</dd>
        </div>
        {(['done', 'active', 'blocked'] as Tone[]).map(tone => (
          <div key={tone}>
            <dt>
              <StatusBadge status={{ tone, label: TONE_LABELS[tone] }} />
            </dt>
            <dd>{counts[tone]}</dd>
          </div>
        ))}
      </dl>
      <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
        <SearchField
          label="Search consumers"
          placeholder="Entity ref"
          value={search.value}
          onChange={search.onChange}
        />
        <Select
          label="Status"
          value={filter.tone}
          onChange={key => key && setFilter(f => ({ ...f, tone: key as Filter['tone'] }))}
          options={[
            { value: 'all', label: 'All' },
            { value: 'blocked', label: 'Blocked, rejected, failed or unhealthy' },
            { value: 'active', label: 'Pending or in progress' },
            { value: 'done', label: 'Merged and healthy, or unaffected' },
          ]}
        />
        {waves.length > 0 && (
          <Select
            label="Wave"
            value={filter.wave}
            onChange={key => key && setFilter(f => ({ ...f, wave: String(key) }))}
            options={[
              { value: 'all', label: 'All waves' },
              ...waves.map(w => ({ value: String(w), label: `Wave ${w}` })),
            ]}
          />
        )}
      </Flex>
      <Table<Row>
        {...tableProps}
        columnConfig={columns}
        rowConfig={{ onClick: r => onSelect(r.consumerRef) }}
        emptyState={
          <Text color="secondary">
            {rows.length === 0
              ? 'No consumers yet: the agent lists them as it analyses the code.'
              : 'No consumer matches the search and filters.'}
          </Text>
        }
      />
      {current && (
        <ConsumerDetail
          migration={migration}
          consumer={current}
          onChanged={onChanged}
          onClose={() => onSelect(undefined)}
        />
      )}
    </Flex>
  );
}
