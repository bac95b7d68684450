import { useState } from 'react';
import { Alert, Button, Flex, Text, TextField } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
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
import type { Tone } from '../common/status';
import styles from '../common/ripple.module.css';

type Action = 'start' | 'advance' | 'pause' | 'resume' | 'rollback';

const WAVE_CLASS: Record<Wave['state'], string> = {
  completed: styles.waveCompleted,
  active: styles.waveActive,
  pending: styles.wavePending,
};
const WAVE_LABEL: Record<Wave['state'], string> = {
  completed: 'Completed',
  active: 'Active',
  pending: 'Pending',
};
const WAVE_TONE: Record<Wave['state'], Tone> = {
  completed: 'done',
  active: 'active',
  pending: 'idle',
};

/**
 * The rollout: its plan, the waves as a timeline with the health of their
 * consumers, and, for those with `ripple.rollout.manage`, the controls the
 * migration's state allows (the state machine of ripple-common).
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
  const { migration, rollout, consumers, compatView, compatViewBlocked, onShowCompatView, onChanged } = props;
  const rippleApi = useApi(rippleApiRef);
  const manage = usePermission({
    permission: rippleRolloutManagePermission,
    resourceRef: migration.datasetRef,
  });
  const { pending, error, run: runAction } = useAction<Action>({ onSettled: onChanged });
  const [confirmRollback, setConfirmRollback] = useState(false);
  const [override, setOverride] = useState('');

  if (rollout.loading) return <Loading label="Loading the rollout" />;
  if (!rollout.value) {
    return <ErrorPanel title="Could not load the rollout" error={rollout.error} />;
  }
  const r = rollout.value;
  const can = (to: Migration['state']) => migrationTransitions[migration.state].includes(to);
  const actions: Record<Action, boolean> = {
    start: r.state === 'not_started' && can('rolling_out') && compatView !== 'pending',
    advance: migration.state === 'rolling_out',
    pause: can('paused'),
    resume: (migration.state === 'paused' || migration.state === 'rolled_back') && can('rolling_out'),
    rollback: can('rolled_back'),
  };

  const run = (action: Action) =>
    runAction(action, async () => {
        switch (action) {
          case 'start':
            if (compatViewBlocked) {
              await rippleApi.startRollout(migration.id, undefined, { overrideCompatView: override.trim() });
            } else {
              await rippleApi.startRollout(migration.id);
            }
            break;
          case 'advance':
            await rippleApi.advanceRollout(migration.id, r.currentWave);
            break;
          case 'pause':
            await rippleApi.pauseRollout(migration.id, 'Paused from the migration page');
            break;
          case 'resume':
            await rippleApi.resumeRollout(migration.id);
            break;
          case 'rollback':
            await rippleApi.rollbackRollout(migration.id, { reason: 'Rolled back from the migration page' });
            break;
          default:
        }
        setConfirmRollback(false);
    });

  const health = (wave: Wave) => {
    const inWave = consumers.filter(c => wave.consumers.includes(c.consumerRef));
    const unhealthy = inWave.filter(c => c.health === 'unhealthy').length;
    const healthy = inWave.filter(c => c.health === 'healthy').length;
    return { unhealthy, healthy, unknown: wave.consumers.length - unhealthy - healthy };
  };

  return (
    <Flex direction="column" gap="4">
      <Text as="p">
        Rollout <strong>{r.state.replace('_', ' ')}</strong> · {r.plan.waves.length} waves (
        {r.plan.waves.map(w => `${w.name}: ${w.count !== undefined ? `${w.count} consumer${w.count === 1 ? '' : 's'}` : `${w.percent}%`}`).join(', ')}) ·{' '}
        {r.plan.soakMinutes} min soak · {r.plan.autoAdvance ? 'advances by itself when healthy' : 'advanced by hand'}
        {r.critical && ' · critical dataset: every patch needs an approval'}
      </Text>
      {r.state === 'not_started' && compatView === 'pending' && (
        <Alert
          status="info"
          icon
          title="Apply the compatibility view first"
          description="The change moves the table: run the compatibility view's DDL and mark it applied, so that consumers not patched yet keep reading the dataset by its old name. Then the rollout can start."
          customActions={
            onShowCompatView && (
              <Button variant="secondary" onPress={onShowCompatView}>
                Show the DDL
              </Button>
            )
          }
        />
      )}
      {r.state === 'not_started' && compatViewBlocked && (
        <Alert
          status="warning"
          icon
          title="The compatibility view cannot be built"
          description={`${compatViewBlocked}. The change moves the table, so consumers not patched yet break when it moves. To start anyway, say why: the reason is recorded on the timeline and in the audit log.`}
        />
      )}
      {r.pausedReason && migration.state === 'paused' && (
        <Alert status="warning" icon title="Paused" description={r.pausedReason} />
      )}
      {r.soakEndsAt && migration.state === 'rolling_out' && (
        <Text as="p" color="secondary">
          The active wave soaks until {new Date(r.soakEndsAt).toLocaleString()}.
        </Text>
      )}
      {r.waves.length === 0 ? (
        <Text as="p" color="secondary">
          The waves are drawn when the rollout starts: least critical consumers first.
        </Text>
      ) : (
        <ol className={styles.timeline} aria-label="Waves">
          {r.waves.map(wave => {
            const h = health(wave);
            return (
              <li key={wave.index} className={`${styles.wave} ${WAVE_CLASS[wave.state]}`}>
                <Flex direction="column" gap="1">
                  <Text weight="bold">
                    {wave.index + 1}. {wave.name}
                  </Text>
                  <StatusBadge
                    status={{
                      tone: h.unhealthy > 0 ? 'blocked' : WAVE_TONE[wave.state],
                      label: WAVE_LABEL[wave.state],
                    }}
                  />
                  <Text variant="body-small">
                    {wave.consumers.length} consumer{wave.consumers.length === 1 ? '' : 's'}
                  </Text>
                  <Text variant="body-small" color={h.unhealthy ? 'danger' : 'secondary'}>
                    Health: {h.healthy} healthy, {h.unhealthy} unhealthy, {h.unknown} no signal
                  </Text>
                  {wave.startedAt && (
                    <Text variant="body-small" color="secondary">
                      Started {age(wave.startedAt)}
                      {wave.completedAt && `, completed ${age(wave.completedAt)}`}
                    </Text>
                  )}
                </Flex>
              </li>
            );
          })}
        </ol>
      )}
      {manage.allowed ? (
        <Flex gap="2" role="group" aria-label="Rollout controls" style={{ flexWrap: 'wrap' }}>
          {actions.start && compatViewBlocked && (
            <TextField
              label="Why start without the compatibility view"
              value={override}
              onChange={setOverride}
            />
          )}
          {actions.start && (
            <Button
              variant="primary"
              onPress={() => run('start')}
              isPending={pending === 'start'}
              isDisabled={!!compatViewBlocked && !override.trim()}
            >
              {compatViewBlocked ? 'Start without the view' : 'Start the rollout'}
            </Button>
          )}
          {actions.advance && (
            <Button variant="primary" onPress={() => run('advance')} isPending={pending === 'advance'}>
              {r.currentWave !== undefined && r.currentWave + 1 >= r.waves.length
                ? 'Complete the rollout'
                : 'Advance to the next wave'}
            </Button>
          )}
          {actions.pause && (
            <Button variant="secondary" onPress={() => run('pause')} isPending={pending === 'pause'}>
              Pause
            </Button>
          )}
          {actions.resume && (
            <Button variant="secondary" onPress={() => run('resume')} isPending={pending === 'resume'}>
              Resume
            </Button>
          )}
          {actions.rollback &&
            (confirmRollback ? (
              <>
                <Button destructive variant="primary" onPress={() => run('rollback')} isPending={pending === 'rollback'}>
                  Revert every delivered patch
                </Button>
                <Button variant="tertiary" onPress={() => setConfirmRollback(false)}>
                  Keep them
                </Button>
              </>
            ) : (
              <Button destructive variant="secondary" onPress={() => setConfirmRollback(true)}>
                Roll back
              </Button>
            ))}
        </Flex>
      ) : (
        !manage.loading && (
          <Text as="p" color="secondary">
            You can watch this rollout; running it needs the ripple.rollout.manage permission.
          </Text>
        )
      )}
      {!!error && (
        <Alert status="danger" icon role="alert" title="The rollout did not move" description={errorMessage(error)} />
      )}
    </Flex>
  );
}
