import { useState } from 'react';
import {
  Alert,
  Button,
  ButtonLink,
  Flex,
  Text,
  TextField,
} from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  rippleStepRunPermission,
  type Migration,
  type Step,
  type StepPlanView,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { useLoad } from '../../hooks/useLoad';
import { rippleTranslationRef } from '../../translation';
import { ErrorPanel, Loading, age, errorMessage } from '../common/Feedback';
import styles from '../common/ripple.module.css';
import {
  formatCount,
  isRunning,
  nothingRan,
  rollbackStep,
} from '../common/steps';
import { ApproveDeletion } from './ApproveDeletion';
import { StepItem } from './StepItem';
import { StepPlanForm } from './StepPlanForm';

// While a step runs, the page follows its progress closely.
const RUNNING_REFRESH_MS = 2000;
const IDLE_REFRESH_MS = 15000;

type StepAction = 'run' | 'retry' | 'rollback' | 'done' | 'approve';

/**
 * The Steps tab: the migration's step plan on its dataset's warehouse as a
 * timeline of its five steps, with the buttons of the next action for
 * those allowed to run steps (`ripple.step.run` on the dataset); for a
 * migration without a plan, the form that makes one.
 */
export function StepsPanel(props: {
  migration: Migration;
  onChanged: () => void;
}) {
  const { migration, onChanged } = props;
  const allowed = usePermission({
    permission: rippleStepRunPermission,
    resourceRef: migration.datasetRef,
  }).allowed;
  // Asked only of a migration that has a plan: one without shows the form
  // (the API answers 404 for its plan, which a browser reports as an error).
  if (!migration.hasStepPlan) {
    return (
      <StepPlanForm
        migrationId={migration.id}
        canCreate={allowed}
        onCreated={onChanged}
      />
    );
  }
  return (
    <LoadedStepPlan
      migration={migration}
      allowed={allowed}
      onChanged={onChanged}
    />
  );
}

/** The plan of a migration that has one, read again while a step runs. */
function LoadedStepPlan(props: {
  migration: Migration;
  allowed: boolean;
  onChanged: () => void;
}) {
  const { migration, allowed, onChanged } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const [refreshMs, setRefreshMs] = useState(IDLE_REFRESH_MS);
  const plan = useLoad(
    async () => {
      const value = await rippleApi.getStepPlan(migration.id);
      setRefreshMs(isRunning(value) ? RUNNING_REFRESH_MS : IDLE_REFRESH_MS);
      return value;
    },
    [rippleApi, migration.id],
    { refreshMs, refreshKey: migration.updatedAt },
  );

  if (plan.loading) return <Loading label={t('steps.loading')} rows={5} />;
  if (!plan.value) {
    return <ErrorPanel title={t('steps.loadError')} error={plan.error} />;
  }
  return (
    <StepPlan
      plan={plan.value}
      allowed={allowed}
      onChanged={() => {
        plan.reload();
        onChanged();
      }}
    />
  );
}

/** A loaded step plan: what it is, its script, and its steps with their buttons. */
function StepPlan(props: {
  plan: StepPlanView;
  allowed: boolean;
  onChanged: () => void;
}) {
  const { plan, allowed, onChanged } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const { pending, error, run } = useAction<StepAction>({
    onSettled: onChanged,
  });
  const [approving, setApproving] = useState(false);
  const [rollingBack, setRollingBack] = useState(false);
  const [rollbackNote, setRollbackNote] = useState('');
  const id = plan.migrationId;
  const handedOver = plan.mode === 'hand-over';
  const back = rollbackStep(plan);
  const running = plan.steps.some(s => s.state === 'running');

  // The buttons of one step: only its own actions, only for those allowed.
  const actionsOf = (step: Step) => {
    if (!allowed) return undefined;
    const name = t(`steps.name.${step.name}`);
    const startable =
      plan.next === step.name &&
      !running &&
      !step.waitingFor &&
      (step.state === 'pending' || step.state === 'rolled-back');
    const buttons = [];
    if (startable && !handedOver) {
      buttons.push(
        <Button
          key="run"
          variant="primary"
          isPending={pending === 'run'}
          onPress={() => run('run', () => rippleApi.runStep(id, step.name))}
        >
          {t('steps.actions.run', { step: name })}
        </Button>,
      );
    }
    if (startable && handedOver) {
      buttons.push(
        <Button
          key="done"
          variant="primary"
          isPending={pending === 'done'}
          onPress={() =>
            run('done', () => rippleApi.markStepDone(id, step.name))
          }
        >
          {t('steps.actions.markDone', { step: name })}
        </Button>,
      );
    }
    if (step.state === 'failed' && !handedOver) {
      buttons.push(
        <Button
          key="retry"
          variant="primary"
          isPending={pending === 'retry'}
          onPress={() => run('retry', () => rippleApi.retryStep(id, step.name))}
        >
          {t('steps.actions.retry', { step: name })}
        </Button>,
      );
    }
    const canRollBack = back?.name === step.name && !step.approvedBy;
    if (canRollBack && !rollingBack) {
      buttons.push(
        <Button
          key="rollback"
          variant="secondary"
          destructive
          onPress={() => setRollingBack(true)}
        >
          {t('steps.actions.rollback', { step: name })}
        </Button>,
      );
    }
    if (
      step.name === 'contract' &&
      step.state === 'done' &&
      !!step.approval?.length &&
      !step.approvedBy
    ) {
      buttons.push(
        <Button
          key="approve"
          variant="secondary"
          destructive
          onPress={() => setApproving(true)}
        >
          {t('steps.actions.approve')}
        </Button>,
      );
    }
    // Rolling back asks first, with a note for the timeline: it undoes
    // work on the warehouse (and, for the switch, the consumers' deliveries).
    const confirmRollback = canRollBack && rollingBack && (
      <Flex key="confirm" direction="column" gap="2" style={{ maxWidth: 640 }}>
        <Text as="p" variant="body-small">
          {step.name === 'switch' && t('steps.rollbackSwitch')}
          {step.name !== 'switch' &&
            (handedOver
              ? t('steps.rollbackConfirmHandOver', { step: name })
              : t('steps.rollbackConfirm', { step: name }))}
        </Text>
        <TextField
          label={t('steps.rollbackNote')}
          value={rollbackNote}
          onChange={setRollbackNote}
        />
        <Flex gap="2">
          <Button
            variant="primary"
            destructive
            isPending={pending === 'rollback'}
            onPress={() =>
              run('rollback', async () => {
                await rippleApi.rollbackStep(
                  id,
                  step.name,
                  rollbackNote.trim() || undefined,
                );
                setRollingBack(false);
                setRollbackNote('');
              })
            }
          >
            {t('steps.actions.rollback', { step: name })}
          </Button>
          <Button variant="tertiary" onPress={() => setRollingBack(false)}>
            {t('steps.rollbackCancel')}
          </Button>
        </Flex>
      </Flex>
    );
    if (!buttons.length && !confirmRollback) return undefined;
    return (
      <Flex direction="column" gap="2">
        {buttons.length > 0 && (
          <Flex gap="2" style={{ flexWrap: 'wrap' }}>
            {buttons}
          </Flex>
        )}
        {confirmRollback}
      </Flex>
    );
  };

  const contract = plan.steps.find(s => s.name === 'contract');
  return (
    <Flex direction="column" gap="4">
      <Flex direction="column" gap="1">
        <Text as="p">
          {t(`steps.mode.${plan.mode}`, {
            warehouse: plan.warehouse,
            dialect: plan.dialect,
          })}
        </Text>
        <Text as="p" color="secondary">
          {t(`steps.layout.${plan.layout}`, {
            dataset: plan.dataset,
            newTable: plan.newTable,
          })}
        </Text>
        {plan.createdBy && (
          <Text as="p" variant="body-small" color="secondary">
            {t('steps.createdBy', {
              who: <EntityRefLink entityRef={plan.createdBy} hideIcon />,
              age: age(plan.createdAt, t),
            })}
          </Text>
        )}
        <Text as="p" variant="body-small" color="secondary">
          {t('steps.tables', {
            oldTable: plan.oldTable,
            key: plan.key,
            batchRows: formatCount(plan.batchRows),
          })}
        </Text>
      </Flex>
      <Flex>
        <ButtonLink
          variant="secondary"
          href={`data:application/sql;charset=utf-8,${encodeURIComponent(
            plan.script,
          )}`}
          download={`${plan.dataset.replace(
            /[^A-Za-z0-9_.-]/g,
            '-',
          )}.steps.sql`}
        >
          {t('steps.downloadScript')}
        </ButtonLink>
      </Flex>
      {nothingRan(plan) && (
        <Text as="p" role="note">
          {t('steps.dryRun')}
        </Text>
      )}
      {!!error && (
        <Alert
          status="danger"
          icon
          role="alert"
          title={t('steps.actionError')}
          description={errorMessage(error)}
        />
      )}
      <ol aria-label={t('steps.timelineLabel')} className={styles.steps}>
        {plan.steps.map((step, index) => (
          <StepItem
            key={step.name}
            plan={plan}
            step={step}
            index={index}
            actions={actionsOf(step)}
          />
        ))}
      </ol>
      {contract?.approval && (
        <ApproveDeletion
          statements={contract.approval}
          handedOver={handedOver}
          isOpen={approving}
          pending={pending === 'approve'}
          onCancel={() => setApproving(false)}
          onConfirm={note =>
            run('approve', async () => {
              await rippleApi.approveStep(id, 'contract', note);
              setApproving(false);
            })
          }
        />
      )}
    </Flex>
  );
}
