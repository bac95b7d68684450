import { useParams, useSearchParams } from 'react-router-dom';
import {
  Alert,
  Button,
  Container,
  Flex,
  Tab,
  TabList,
  TabPanel,
  Tabs,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  migrationTransitions,
  rippleMigrationCancelPermission,
  rippleMigrationCreatePermission,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { loadAllPages, useLoad } from '../../hooks/useLoad';
import { ErrorPanel, Loading, age, errorMessage } from '../common/Feedback';
import { ProgressBar } from '../common/ProgressBar';
import { StatusBadge } from '../common/StatusBadge';
import { migrationStatus } from '../common/status';
import { BurndownChart } from './BurndownChart';
import { burndown } from './burndown';
import { CompatViewPanel } from './CompatViewPanel';
import { ConsumersPanel } from './ConsumersPanel';
import { EventLog } from './EventLog';
import { RolloutPanel } from './RolloutPanel';

// While the agent or the rollout is working, the page follows it.
const MOVING: Migration['state'][] = ['draft', 'analyzing', 'rolling_out'];

/** The page of one migration, at `/ripple/migrations/:id`. */
export function MigrationPage() {
  const { id = '' } = useParams();
  return (
    <Container>
      <MigrationView id={id} />
    </Container>
  );
}

/** Everything about one migration, in tabs. */
export function MigrationView({ id }: { id: string }) {
  const rippleApi = useApi(rippleApiRef);
  const migration = useLoad(() => rippleApi.getMigration(id), [rippleApi, id], {
    refreshMs: 4000,
  });
  if (migration.loading) return <Loading label="Loading the migration" rows={6} />;
  if (!migration.value) {
    return <ErrorPanel title="Could not load the migration" error={migration.error} />;
  }
  return <MigrationBody migration={migration.value} reloadMigration={migration.reload} />;
}

/** The loaded migration: what its tabs need is loaded again when its state moves. */
function MigrationBody(props: { migration: Migration; reloadMigration: () => void }) {
  const { migration: m, reloadMigration } = props;
  const id = m.id;
  const rippleApi = useApi(rippleApiRef);
  const [searchParams, setSearchParams] = useSearchParams();
  const refreshMs = MOVING.includes(m.state) ? 4000 : 30000;
  const consumers = useLoad(
    () => loadAllPages(page => rippleApi.listConsumers(id, page)),
    [rippleApi, id],
    { refreshMs, refreshKey: m.updatedAt },
  );
  const events = useLoad(
    async () => {
      const items = [];
      for (;;) {
        const page = await rippleApi.listMigrationEvents(id, {
          after: items.length ? items[items.length - 1].id : undefined,
          limit: 500,
        });
        items.push(...page.items);
        if (page.items.length < 500) return items;
      }
    },
    [rippleApi, id],
    { refreshMs, refreshKey: m.updatedAt },
  );
  const rollout = useLoad(() => rippleApi.getRollout(id), [rippleApi, id], {
    refreshMs,
    refreshKey: m.updatedAt,
  });
  const compatView = useLoad(() => rippleApi.getCompatView(id), [rippleApi, id], {
    refreshKey: m.updatedAt,
  });

  const reloadAll = () => {
    reloadMigration();
    consumers.reload();
    events.reload();
    rollout.reload();
    compatView.reload();
  };
  const tab = searchParams.get('tab') ?? 'consumers';
  const selected = searchParams.get('consumer') ?? undefined;
  const setParam = (key: string, value?: string) =>
    setSearchParams(
      params => {
        const next = new URLSearchParams(params);
        if (value === undefined) next.delete(key);
        else next.set(key, value);
        return next;
      },
      { replace: true },
    );

  return (
    <Flex direction="column" gap="5" py="4">
      <MigrationHeader migration={m} onChanged={reloadAll} />
      {m.analysis && (
        <Alert
          status="warning"
          icon
          title={`The analysis failed ${m.analysis.attempts} time${m.analysis.attempts === 1 ? '' : 's'}; the agent tries again at ${new Date(m.analysis.retryAt).toLocaleTimeString()}`}
          description={m.analysis.error}
        />
      )}
      <Tabs selectedKey={tab} onSelectionChange={key => setParam('tab', String(key))}>
        <TabList aria-label="Migration">
          <Tab id="consumers">Consumers</Tab>
          <Tab id="rollout">Rollout</Tab>
          <Tab id="burndown">Burndown</Tab>
          <Tab id="compat-view">Compatibility view</Tab>
          <Tab id="events">Events</Tab>
        </TabList>
        <TabPanel id="consumers">
          {consumers.loading && <Loading label="Loading the consumers" rows={6} />}
          {consumers.error && <ErrorPanel title="Could not load the consumers" error={consumers.error} />}
          {consumers.value && (
            <ConsumersPanel
              migration={m}
              consumers={consumers.value}
              selected={selected}
              onSelect={ref => setParam('consumer', ref)}
              onChanged={reloadAll}
            />
          )}
          {m.state === 'analyzing' && (
            <Text as="p" color="secondary" role="status">
              The agent is reading the consumers' code and proposing patches…
            </Text>
          )}
        </TabPanel>
        <TabPanel id="rollout">
          <RolloutPanel
            migration={m}
            rollout={rollout}
            consumers={consumers.value ?? []}
            compatView={compatView.value?.state}
            compatViewBlocked={
              compatView.value?.state === 'unavailable' && compatView.value.required && !compatView.value.overrideReason
                ? compatView.value.reason ?? 'the engine cannot build it'
                : undefined
            }
            onShowCompatView={() => setParam('tab', 'compat-view')}
            onChanged={reloadAll}
          />
        </TabPanel>
        <TabPanel id="burndown">
          {events.loading && <Loading label="Loading the timeline" />}
          {events.error && <ErrorPanel title="Could not load the timeline" error={events.error} />}
          {events.value && <BurndownChart points={burndown(events.value)} />}
        </TabPanel>
        <TabPanel id="compat-view">
          <CompatViewPanel migration={m} view={compatView} />
        </TabPanel>
        <TabPanel id="events">
          {events.loading && <Loading label="Loading the event log" />}
          {events.error && <ErrorPanel title="Could not load the event log" error={events.error} />}
          {events.value && <EventLog events={events.value} />}
        </TabPanel>
      </Tabs>
    </Flex>
  );
}

function MigrationHeader(props: { migration: Migration; onChanged: () => void }) {
  const { migration: m, onChanged } = props;
  const rippleApi = useApi(rippleApiRef);
  const create = usePermission({
    permission: rippleMigrationCreatePermission,
    resourceRef: m.datasetRef,
  });
  const cancel = usePermission({
    permission: rippleMigrationCancelPermission,
    resourceRef: m.datasetRef,
  });
  const { pending, error, run: act } = useAction<'analyze' | 'cancel'>({ onSettled: onChanged });
  const p = m.progress;

  return (
    <Flex direction="column" gap="3">
      <Flex justify="between" align="start" gap="4" style={{ flexWrap: 'wrap' }}>
        <Flex direction="column" gap="1">
          <Text as="h1" variant="title-medium">
            {m.title}
          </Text>
          <Text as="p" color="secondary">
            Dataset <EntityRefLink entityRef={m.datasetRef} /> · owner{' '}
            <EntityRefLink entityRef={m.owner} hideIcon /> · created by{' '}
            <EntityRefLink entityRef={m.createdBy} hideIcon /> {age(m.createdAt)}
          </Text>
        </Flex>
        <Flex gap="2" align="center">
          <StatusBadge status={migrationStatus(m.state)} />
          {create.allowed && migrationTransitions[m.state].includes('analyzing') && (
            <Button
              variant="secondary"
              isPending={pending === 'analyze'}
              onPress={() => act('analyze', () => rippleApi.analyzeMigration(m.id))}
            >
              {m.state === 'draft' ? 'Analyze' : 'Analyze again'}
            </Button>
          )}
          {cancel.allowed && migrationTransitions[m.state].includes('cancelled') && (
            <Button
              variant="secondary"
              destructive
              isPending={pending === 'cancel'}
              onPress={() => act('cancel', () => rippleApi.cancelMigration(m.id))}
            >
              Cancel the migration
            </Button>
          )}
        </Flex>
      </Flex>
      <Text as="p">
        <code>{describeChange(m.change)}</code>
      </Text>
      {p && (
        <Flex direction="column" gap="1" style={{ maxWidth: 640 }}>
          <ProgressBar
            label="Consumers migrated"
            done={p.merged}
            blocked={p.rejected + p.failed + p.unhealthy}
            total={p.total}
          />
          <Text variant="body-small" color="secondary">
            {p.merged} of {p.total} merged · {p.approved} approved · {p.needsReview} awaiting review ·{' '}
            {p.rejected} rejected · {p.delivered} delivered · {p.failed} failed · {p.unhealthy} unhealthy
          </Text>
        </Flex>
      )}
      {!!error && (
        <Alert status="danger" icon role="alert" title="That did not work" description={errorMessage(error)} />
      )}
    </Flex>
  );
}

/** The change in one line: "proj.ds.orders: rename amount → amount_usd". */
export function describeChange(change: Migration['change']): string {
  const spec = change as { dataset?: string; changes?: Array<Record<string, unknown>> };
  const parts = (spec.changes ?? []).map(c => {
    switch (c.kind) {
      case 'rename_column':
        return `rename ${c.column} → ${c.to}`;
      case 'drop_column':
        return `drop ${c.column}`;
      case 'change_type':
        return `retype ${c.column} to ${c.to}`;
      case 'rename_table':
        return `move to ${c.to}`;
      case 'replace_table':
        return `replace with ${c.to}`;
      default:
        return String(c.kind);
    }
  });
  return `${spec.dataset ?? '?'}: ${parts.join(', ')}`;
}
