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
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  migrationTransitions,
  rippleMigrationCancelPermission,
  rippleMigrationCreatePermission,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { rippleTranslationRef, type RippleT } from '../../translation';
import { useAction } from '../../hooks/useAction';
import { loadAllPages, useLoad } from '../../hooks/useLoad';
import { ErrorPanel, Loading, age, errorMessage } from '../common/Feedback';
import { ProgressBar } from '../common/ProgressBar';
import { StatusBadge } from '../common/StatusBadge';
import { migrationStatus } from '../common/status';
import { BurndownChart } from './BurndownChart';
import { TargetDate } from './TargetDate';
import { burndown } from './burndown';
import { CompatViewPanel } from './CompatViewPanel';
import { ConsumersPanel } from './ConsumersPanel';
import { EventLog } from './EventLog';
import { LineagePanel } from './LineagePanel';
import { RolloutPanel } from './RolloutPanel';
import { KillSwitch } from './KillSwitch';
import { StepsPanel } from './StepsPanel';

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
  const { t } = useTranslationRef(rippleTranslationRef);
  const migration = useLoad(() => rippleApi.getMigration(id), [rippleApi, id], {
    refreshMs: 4000,
  });
  if (migration.loading)
    return <Loading label={t('migrationPage.loading')} rows={6} />;
  if (!migration.value) {
    return (
      <ErrorPanel
        title={t('migrationPage.loadError')}
        error={migration.error}
      />
    );
  }
  return (
    <MigrationBody
      migration={migration.value}
      reloadMigration={migration.reload}
    />
  );
}

/** The loaded migration: what its tabs need is loaded again when its state moves. */
function MigrationBody(props: {
  migration: Migration;
  reloadMigration: () => void;
}) {
  const { migration: m, reloadMigration } = props;
  const id = m.id;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
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
  const compatView = useLoad(
    () => rippleApi.getCompatView(id),
    [rippleApi, id],
    {
      refreshKey: m.updatedAt,
    },
  );

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
      <KillSwitch migration={m} onChanged={reloadAll} />
      {m.analysis && (
        <Alert
          status="warning"
          icon
          title={t('migrationPage.analysisFailed', {
            count: m.analysis.attempts,
            time: new Date(m.analysis.retryAt).toLocaleTimeString(),
          })}
          description={m.analysis.error}
        />
      )}
      <Tabs
        selectedKey={tab}
        onSelectionChange={key => setParam('tab', String(key))}
      >
        <TabList aria-label={t('migrationPage.tabs.label')}>
          <Tab id="consumers">{t('migrationPage.tabs.consumers')}</Tab>
          <Tab id="rollout">{t('migrationPage.tabs.rollout')}</Tab>
          <Tab id="burndown">{t('migrationPage.tabs.burndown')}</Tab>
          <Tab id="steps">{t('steps.tab')}</Tab>
          <Tab id="compat-view">{t('migrationPage.tabs.compatView')}</Tab>
          <Tab id="events">{t('migrationPage.tabs.events')}</Tab>
        </TabList>
        <TabPanel id="consumers">
          {consumers.loading && (
            <Loading label={t('migrationPage.consumersLoading')} rows={6} />
          )}
          {consumers.error && (
            <ErrorPanel
              title={t('migrationPage.consumersError')}
              error={consumers.error}
            />
          )}
          {consumers.value && (
            <ConsumersPanel
              migration={m}
              consumers={consumers.value}
              selected={selected}
              onSelect={ref => setParam('consumer', ref)}
              onChanged={reloadAll}
              requireValidation={rollout.value?.plan.requireValidation}
            />
          )}
          {m.state === 'analyzing' && (
            <Text as="p" color="secondary" role="status">
              {t('migrationPage.analyzing')}
            </Text>
          )}
          <LineagePanel migration={m} />
        </TabPanel>
        <TabPanel id="rollout">
          <RolloutPanel
            migration={m}
            rollout={rollout}
            consumers={consumers.value ?? []}
            compatView={compatView.value?.state}
            compatViewBlocked={
              compatView.value?.state === 'unavailable' &&
              compatView.value.required &&
              !compatView.value.overrideReason
                ? compatView.value.reason ??
                  t('migrationPage.compatViewUnbuildable')
                : undefined
            }
            onShowCompatView={() => setParam('tab', 'compat-view')}
            onChanged={reloadAll}
          />
        </TabPanel>
        <TabPanel id="burndown">
          {events.loading && (
            <Loading label={t('migrationPage.timelineLoading')} />
          )}
          {events.error && (
            <ErrorPanel
              title={t('migrationPage.timelineError')}
              error={events.error}
            />
          )}
          {events.value && (
            <BurndownChart
              points={burndown(events.value)}
              targetDate={m.targetDate}
            />
          )}
        </TabPanel>
        <TabPanel id="steps">
          <StepsPanel migration={m} onChanged={reloadAll} />
        </TabPanel>
        <TabPanel id="compat-view">
          <CompatViewPanel migration={m} view={compatView} />
        </TabPanel>
        <TabPanel id="events">
          {events.loading && (
            <Loading label={t('migrationPage.eventsLoading')} />
          )}
          {events.error && (
            <ErrorPanel
              title={t('migrationPage.eventsError')}
              error={events.error}
            />
          )}
          {events.value && <EventLog events={events.value} />}
        </TabPanel>
      </Tabs>
    </Flex>
  );
}

function MigrationHeader(props: {
  migration: Migration;
  onChanged: () => void;
}) {
  const { migration: m, onChanged } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const create = usePermission({
    permission: rippleMigrationCreatePermission,
    resourceRef: m.datasetRef,
  });
  const cancel = usePermission({
    permission: rippleMigrationCancelPermission,
    resourceRef: m.datasetRef,
  });
  const {
    pending,
    error,
    run: act,
  } = useAction<'analyze' | 'cancel'>({ onSettled: onChanged });
  const p = m.progress;

  return (
    <Flex direction="column" gap="3">
      <Flex
        justify="between"
        align="start"
        gap="4"
        style={{ flexWrap: 'wrap' }}
      >
        <Flex direction="column" gap="1">
          <Text as="h1" variant="title-medium">
            {m.title}
          </Text>
          <Text as="p" color="secondary">
            {t('migrationPage.byline', {
              dataset: <EntityRefLink entityRef={m.datasetRef} />,
              owner: <EntityRefLink entityRef={m.owner} hideIcon />,
              createdBy: <EntityRefLink entityRef={m.createdBy} hideIcon />,
              age: age(m.createdAt, t),
            })}
          </Text>
        </Flex>
        <Flex gap="2" align="center">
          <StatusBadge status={migrationStatus(m.state, t)} />
          {create.allowed &&
            migrationTransitions[m.state].includes('analyzing') && (
              <Button
                variant="secondary"
                isPending={pending === 'analyze'}
                onPress={() =>
                  act('analyze', () => rippleApi.analyzeMigration(m.id))
                }
              >
                {m.state === 'draft'
                  ? t('migrationPage.analyze')
                  : t('migrationPage.analyzeAgain')}
              </Button>
            )}
          {cancel.allowed &&
            migrationTransitions[m.state].includes('cancelled') && (
              <Button
                variant="secondary"
                destructive
                isPending={pending === 'cancel'}
                onPress={() =>
                  act('cancel', () => rippleApi.cancelMigration(m.id))
                }
              >
                {t('migrationPage.cancel')}
              </Button>
            )}
        </Flex>
      </Flex>
      <Text as="p">
        <code>{describeChange(m.change, t)}</code>
      </Text>
      <TargetDate
        migration={m}
        canEdit={cancel.allowed}
        onChanged={onChanged}
      />
      {p && (
        <Flex direction="column" gap="1" style={{ maxWidth: 640 }}>
          <ProgressBar
            label={t('migrationPage.progressLabel')}
            done={p.merged}
            blocked={p.rejected + p.failed + p.unhealthy}
            total={p.total}
          />
          <Text variant="body-small" color="secondary">
            {t('migrationPage.progress', {
              merged: String(p.merged),
              total: String(p.total),
              approved: String(p.approved),
              awaitingDecision: String(p.awaitingDecision),
              rejected: String(p.rejected),
              delivered: String(p.delivered),
              failed: String(p.failed),
              unhealthy: String(p.unhealthy),
            })}
          </Text>
          {!!p.unowned && (
            <Text variant="body-small" color="warning">
              {t('migrationPage.unowned', { count: p.unowned })}
            </Text>
          )}
        </Flex>
      )}
      {!!error && (
        <Alert
          status="danger"
          icon
          role="alert"
          title={t('migrationPage.actionError')}
          description={errorMessage(error)}
        />
      )}
    </Flex>
  );
}

/** The change in one line: "proj.ds.orders: rename amount → amount_usd". */
export function describeChange(
  change: Migration['change'],
  t: RippleT,
): string {
  // Read loosely: a migration made by an older version may hold less.
  const spec = change as unknown as {
    dataset?: string;
    changes?: Array<Record<string, unknown>>;
  };
  return t('change.summary', {
    dataset: spec.dataset ?? '?',
    changes: describeChanges(spec.changes ?? [], t),
  });
}

/** Changes in words, without their dataset: "rename amount → amount_usd, drop status". */
export function describeChanges(
  changes: ReadonlyArray<unknown>,
  t: RippleT,
): string {
  const parts = (changes as Array<Record<string, unknown>>).map(c => {
    const column = String(c.column);
    const to = String(c.to);
    switch (c.kind) {
      case 'rename_column':
        return t('change.rename_column', { column, to });
      case 'drop_column':
        return t('change.drop_column', { column });
      case 'change_type':
        return t('change.change_type', { column, to });
      case 'rename_table':
        return t('change.rename_table', { to });
      case 'replace_table':
        return t('change.replace_table', { to });
      default:
        return String(c.kind);
    }
  });
  return parts.join(', ');
}
