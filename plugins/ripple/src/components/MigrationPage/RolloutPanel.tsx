import { useState } from 'react';
import { Alert, Button, Checkbox, Flex, Text, TextField } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  migrationTransitions,
  rippleRolloutManagePermission,
  type CompatViewState,
  type Consumer,
  type Migration,
  type Rollout,
  type Wave,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { ErrorPanel, Loading, age, errorMessage } from '../common/Feedback';
import { StatusBadge } from '../common/StatusBadge';
import type { Loaded } from '../../hooks/useLoad';
import { rippleTranslationRef } from '../../translation';
import type { Tone } from '../common/status';
import styles from '../common/ripple.module.css';
import { ConsumerWaits } from './ConsumerWaits';
import { StartConfirmation } from './StartConfirmation';

type Action = 'start' | 'advance' | 'pause' | 'resume' | 'rollback';

const WAVE_CLASS: Record<Wave['state'], string> = {
  completed: styles.waveCompleted,
  active: styles.waveActive,
  pending: styles.wavePending,
};
const WAVE_TONE: Record<Wave['state'], Tone> = {
  completed: 'done',
  active: 'active',
  pending: 'idle',
};

/**
 * The rollout: its plan, the waves as a timeline with the health of their
 * consumers and why the active one is held, and, for those with
 * `ripple.rollout.manage`, the controls the migration's state allows (the
 * state machine of ripple-common), with the plan's "Require validation"
 * before the start.
 */
export function RolloutPanel(props: {
  migration: Migration;
  rollout: Loaded<Rollout>;
  consumers: Consumer[];
  /** The compatibility view's state: a pending view must be applied before the rollout starts. */
  compatView?: CompatViewState;
  /**
   * Why the compatibility view the change needs cannot be built: the
   * rollout then starts only with a person's reason for going without it.
   */
  compatViewBlocked?: string;
  onShowCompatView?: () => void;
  onChanged: () => void;
}) {
  const {
    migration,
    rollout,
    consumers,
    compatView,
    compatViewBlocked,
    onShowCompatView,
    onChanged,
  } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const manage = usePermission({
    permission: rippleRolloutManagePermission,
    resourceRef: migration.datasetRef,
  });
  const {
    pending,
    error,
    run: runAction,
  } = useAction<Action>({ onSettled: onChanged });
  const [confirmRollback, setConfirmRollback] = useState(false);
  // A wide rollout is started from its confirmation dialog.
  const [confirmStart, setConfirmStart] = useState(false);
  const [override, setOverride] = useState('');
  // Unset: the plan's own (the config's default), sent only when changed.
  const [requireValidation, setRequireValidation] = useState<boolean>();

  if (rollout.loading) return <Loading label={t('rollout.loading')} />;
  if (!rollout.value) {
    return <ErrorPanel title={t('rollout.loadError')} error={rollout.error} />;
  }
  const r = rollout.value;
  const can = (to: Migration['state']) =>
    migrationTransitions[migration.state].includes(to);
  const actions: Record<Action, boolean> = {
    start:
      r.state === 'not_started' &&
      can('rolling_out') &&
      compatView !== 'pending',
    advance: migration.state === 'rolling_out',
    pause: can('paused'),
    resume:
      (migration.state === 'paused' || migration.state === 'rolled_back') &&
      can('rolling_out'),
    rollback: can('rolled_back'),
  };

  const run = (action: Action) =>
    runAction(action, async () => {
      switch (action) {
        case 'start': {
          const plan =
            requireValidation !== undefined &&
            requireValidation !== r.plan.requireValidation
              ? { requireValidation }
              : undefined;
          const confirmConsumers = r.confirmation?.consumers;
          if (compatViewBlocked || confirmConsumers !== undefined) {
            await rippleApi.startRollout(migration.id, plan, {
              ...(compatViewBlocked
                ? { overrideCompatView: override.trim() }
                : {}),
              ...(confirmConsumers !== undefined ? { confirmConsumers } : {}),
            });
          } else if (plan) {
            await rippleApi.startRollout(migration.id, plan);
          } else {
            await rippleApi.startRollout(migration.id);
          }
          break;
        }
        case 'advance':
          await rippleApi.advanceRollout(migration.id, r.currentWave);
          break;
        case 'pause':
          await rippleApi.pauseRollout(migration.id, t('rollout.pauseReason'));
          break;
        case 'resume':
          await rippleApi.resumeRollout(migration.id);
          break;
        case 'rollback':
          await rippleApi.rollbackRollout(migration.id, {
            reason: t('rollout.rollbackReason'),
          });
          break;
        default:
      }
      setConfirmRollback(false);
      setConfirmStart(false);
    });

  const health = (wave: Wave) => {
    const inWave = consumers.filter(c =>
      wave.consumers.includes(c.consumerRef),
    );
    const unhealthy = inWave.filter(c => c.health === 'unhealthy').length;
    const healthy = inWave.filter(c => c.health === 'healthy').length;
    return {
      unhealthy,
      healthy,
      unknown: wave.consumers.length - unhealthy - healthy,
    };
  };

  return (
    <Flex direction="column" gap="4">
      <Text as="p">
        {t('rollout.summary', {
          state: <strong>{r.state.replace('_', ' ')}</strong>,
          waves: String(r.plan.waves.length),
          plan: r.plan.waves
            .map(w =>
              w.count !== undefined
                ? t('rollout.planWave', { name: w.name, count: w.count })
                : t('rollout.planWavePercent', {
                    name: w.name,
                    percent: String(w.percent),
                  }),
            )
            .join(', '),
          soak: String(r.plan.soakMinutes),
          advance: r.plan.autoAdvance
            ? t('rollout.autoAdvance')
            : t('rollout.manualAdvance'),
        })}
        {r.critical && t('rollout.critical')}
        {r.plan.requireValidation && t('rollout.requiresValidation')}
      </Text>
      {r.state === 'not_started' && compatView === 'pending' && (
        <Alert
          status="info"
          icon
          title={t('rollout.applyViewFirstTitle')}
          description={t('rollout.applyViewFirstDescription')}
          customActions={
            onShowCompatView && (
              <Button variant="secondary" onPress={onShowCompatView}>
                {t('rollout.showDdl')}
              </Button>
            )
          }
        />
      )}
      {r.state === 'not_started' && compatViewBlocked && (
        <Alert
          status="warning"
          icon
          title={t('rollout.viewBlockedTitle')}
          description={t('rollout.viewBlockedDescription', {
            reason: compatViewBlocked,
          })}
        />
      )}
      {r.pausedReason && migration.state === 'paused' && (
        <Alert
          status="warning"
          icon
          title={t('rollout.paused')}
          description={r.pausedReason}
        />
      )}
      {r.soakEndsAt && migration.state === 'rolling_out' && (
        <Text as="p" color="secondary">
          {t('rollout.soaking', {
            time: new Date(r.soakEndsAt).toLocaleString(),
          })}
        </Text>
      )}
      <ConsumerWaits rollout={r} />
      {r.waves.length === 0 ? (
        <Text as="p" color="secondary">
          {t('rollout.noWaves')}
        </Text>
      ) : (
        <ol className={styles.timeline} aria-label={t('rollout.wavesLabel')}>
          {r.waves.map(wave => {
            const h = health(wave);
            return (
              <li
                key={wave.index}
                className={`${styles.wave} ${WAVE_CLASS[wave.state]}`}
              >
                <Flex direction="column" gap="1">
                  <Text weight="bold">
                    {t('rollout.waveTitle', {
                      number: String(wave.index + 1),
                      name: wave.name,
                    })}
                  </Text>
                  <StatusBadge
                    status={{
                      tone: h.unhealthy > 0 ? 'blocked' : WAVE_TONE[wave.state],
                      label: t(`rollout.waveState.${wave.state}`),
                    }}
                  />
                  <Text variant="body-small">
                    {t('rollout.waveConsumers', {
                      count: wave.consumers.length,
                    })}
                  </Text>
                  <Text
                    variant="body-small"
                    color={h.unhealthy ? 'danger' : 'secondary'}
                  >
                    {t('rollout.waveHealth', {
                      healthy: String(h.healthy),
                      unhealthy: String(h.unhealthy),
                      unknown: String(h.unknown),
                    })}
                  </Text>
                  {wave.startedAt && (
                    <Text variant="body-small" color="secondary">
                      {t('rollout.waveStarted', {
                        age: age(wave.startedAt, t),
                      })}
                      {wave.completedAt &&
                        t('rollout.waveCompleted', {
                          age: age(wave.completedAt, t),
                        })}
                    </Text>
                  )}
                  {r.gateReason &&
                    wave.index === r.currentWave &&
                    migration.state === 'rolling_out' && (
                      <Text variant="body-small" color="warning" role="status">
                        {t('rollout.waveHeld', { reason: r.gateReason })}
                      </Text>
                    )}
                </Flex>
              </li>
            );
          })}
        </ol>
      )}
      {manage.allowed ? (
        <Flex
          gap="2"
          role="group"
          aria-label={t('rollout.controlsLabel')}
          style={{ flexWrap: 'wrap' }}
        >
          {actions.start && (
            <Flex direction="column" gap="1">
              <Checkbox
                isSelected={requireValidation ?? r.plan.requireValidation}
                onChange={setRequireValidation}
              >
                {t('rollout.requireValidation')}
              </Checkbox>
              <Text variant="body-small" color="secondary">
                {t('rollout.requireValidationDescription')}
              </Text>
            </Flex>
          )}
          {actions.start && compatViewBlocked && (
            <TextField
              label={t('rollout.overrideReason')}
              value={override}
              onChange={setOverride}
            />
          )}
          {actions.start && (
            <Button
              variant="primary"
              onPress={() =>
                r.confirmation ? setConfirmStart(true) : run('start')
              }
              isPending={pending === 'start'}
              isDisabled={!!compatViewBlocked && !override.trim()}
            >
              {compatViewBlocked
                ? t('rollout.startWithoutView')
                : t('rollout.start')}
            </Button>
          )}
          {actions.advance && (
            <Button
              variant="primary"
              onPress={() => run('advance')}
              isPending={pending === 'advance'}
            >
              {r.currentWave !== undefined &&
              r.currentWave + 1 >= r.waves.length
                ? t('rollout.complete')
                : t('rollout.advance')}
            </Button>
          )}
          {actions.pause && (
            <Button
              variant="secondary"
              onPress={() => run('pause')}
              isPending={pending === 'pause'}
            >
              {t('rollout.pause')}
            </Button>
          )}
          {actions.resume && (
            <Button
              variant="secondary"
              onPress={() => run('resume')}
              isPending={pending === 'resume'}
            >
              {t('rollout.resume')}
            </Button>
          )}
          {actions.rollback &&
            (confirmRollback ? (
              <>
                <Button
                  destructive
                  variant="primary"
                  onPress={() => run('rollback')}
                  isPending={pending === 'rollback'}
                >
                  {t('rollout.confirmRollback')}
                </Button>
                <Button
                  variant="tertiary"
                  onPress={() => setConfirmRollback(false)}
                >
                  {t('rollout.cancelRollback')}
                </Button>
              </>
            ) : (
              <Button
                destructive
                variant="secondary"
                onPress={() => setConfirmRollback(true)}
              >
                {t('rollout.rollback')}
              </Button>
            ))}
        </Flex>
      ) : (
        !manage.loading && (
          <Text as="p" color="secondary">
            {t('rollout.watchOnly')}
          </Text>
        )
      )}
      {r.confirmation && (
        <StartConfirmation
          confirmation={r.confirmation}
          isOpen={confirmStart}
          pending={pending === 'start'}
          onConfirm={() => run('start')}
          onCancel={() => setConfirmStart(false)}
        />
      )}
      {!!error && (
        <Alert
          status="danger"
          icon
          role="alert"
          title={t('rollout.actionError')}
          description={errorMessage(error)}
        />
      )}
    </Flex>
  );
}
