import { useMemo, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  Alert,
  Card,
  CardBody,
  CardHeader,
  Flex,
  Select,
  Text,
  TextAreaField,
} from '@backstage/ui';
import type { Dialect, StatementTables } from '@ripple/engine';
import useAsync from 'react-use/esm/useAsync';
import { rippleApiRef } from '../../api';
import { useEngine } from '../../hooks/useEngine';

const DIALECTS: Dialect[] = [
  'bigquery',
  'snowflake',
  'postgres',
  'redshift',
  'spark',
  'databricks',
  'hive',
  'duckdb',
  'mysql',
  'ansi',
  'generic',
];

const SAMPLE = `-- Daily revenue per customer
INSERT INTO \`proj.reporting.daily_revenue\`
SELECT o.day, c.name, SUM(o.amount) AS revenue
FROM \`proj.ds.orders\` o
JOIN proj.ds.customers c ON c.id = o.customer_id
GROUP BY o.day, c.name;`;

type Result =
  | { statements: StatementTables[]; millis: number }
  | { error: string };

/**
 * SQL typed into a box, analysed by the engine in the browser on every
 * keystroke: the tables each statement reads and writes.
 */
export function EnginePlayground() {
  const { engine, loading, error: loadError } = useEngine();
  const rippleApi = useApi(rippleApiRef);
  const backend = useAsync(() => rippleApi.getEngine(), [rippleApi]);
  const [sql, setSql] = useState(SAMPLE);
  const [dialect, setDialect] = useState<Dialect>('bigquery');

  const result = useMemo<Result | undefined>(() => {
    if (!engine) return undefined;
    const started = performance.now();
    try {
      const statements = engine.tables(sql, dialect);
      return { statements, millis: performance.now() - started };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }, [engine, sql, dialect]);

  return (
    <Card>
      <CardHeader>
        <Text as="h2" variant="title-small">
          Engine playground
        </Text>
        <Text as="p" color="secondary">
          {engine
            ? `Engine ${engine.version()} running in your browser`
            : 'Loading the engine…'}
          {backend.value && ` · backend engine ${backend.value.version}`}
          {backend.error && ` · backend unreachable: ${backend.error.message}`}
        </Text>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="4">
          <Select
            label="Dialect"
            options={DIALECTS.map(d => ({ value: d, label: d }))}
            value={dialect}
            onChange={key => key && setDialect(key as Dialect)}
          />
          <TextAreaField
            label="SQL"
            rows={8}
            value={sql}
            onChange={setSql}
          />
          {loadError && (
            <Alert status="danger" title={`The engine could not load: ${loadError.message}`} />
          )}
          {loading && <Text>Loading the engine…</Text>}
          {result && <Tables result={result} />}
        </Flex>
      </CardBody>
    </Card>
  );
}

function Tables({ result }: { result: Result }) {
  if ('error' in result) {
    return <Alert status="danger" role="alert" title={result.error} />;
  }
  return (
    <section aria-label="Tables">
      <Text as="p" variant="body-small" color="secondary">
        {result.statements.length} statement
        {result.statements.length === 1 ? '' : 's'} analysed in{' '}
        {result.millis.toFixed(1)} ms
      </Text>
      <table>
        <thead>
          <tr>
            <th scope="col">Statement</th>
            <th scope="col">Lines</th>
            <th scope="col">Reads</th>
            <th scope="col">Writes</th>
          </tr>
        </thead>
        <tbody>
          {result.statements.map((s, i) => (
            <tr key={i}>
              <td>{i + 1}</td>
              <td>
                {s.start.line}–{s.end.line}
              </td>
              <td>{s.reads.join(', ') || '—'}</td>
              <td>{s.writes.join(', ') || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
