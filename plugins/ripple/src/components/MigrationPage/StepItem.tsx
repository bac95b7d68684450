import type { ReactNode } from 'react';
import {
  Accordion,
  AccordionPanel,
  AccordionTrigger,
  Alert,
  Flex,
  Text,
} from '@backstage/ui';
import { CodeSnippet } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type {
  Step,
  StepPlanView,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleTranslationRef } from '../../translation';
import { age } from '../common/Feedback';
import { ProgressBar } from '../common/ProgressBar';
import styles from '../common/ripple.module.css';
import { StatusBadge } from '../common/StatusBadge';
import { formatCount, percentDone, stepStatus } from '../common/steps';
import { StepVerificationResult } from './StepVerificationResult';

/** Statements as one SQL block, a blank line between them. */
function sql(statements: string[]): string {
  return statements.join('\n\n');
}

/**
 * Statements collapsed under a title, as a code block with a copy button;
 * `region` names the block for those who cannot see it.
 */
function StatementBlock(props: {
  title: string;
  region: string;
  statements: string[];
  expanded?: boolean;
}) {
  return (
    <Accordion defaultExpanded={props.expanded}>
      <AccordionTrigger title={props.title} />
      <AccordionPanel>
        <div role="region" aria-label={props.region}>
          <CodeSnippet
            text={sql(props.statements)}
            language="sql"
            showCopyCodeButton
          />
        </div>
      </AccordionPanel>
    </Accordion>
  );
}

/**
 * One step of the plan in its timeline: its state, what it does, its
 * statements and rollback (collapsed, the next step's open: the dry run of
 * what runs next), the backfill's progress and rate, the verification's
 * result, the error of a failed step, what it waits for, who marked it
 * done or approved the deletion; `actions` are its buttons.
 */
export function StepItem(props: {
  plan: StepPlanView;
  step: Step;
  index: number;
  actions?: ReactNode;
}) {
  const { plan, step, index, actions } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const name = t(`steps.name.${step.name}`);
  const isNext = plan.next === step.name;
  const progress = step.progress;
  const people = (who: string) => <EntityRefLink entityRef={who} hideIcon />;

  return (
    <li
      className={styles.step}
      data-state={step.state}
      data-next={isNext}
      aria-label={name}
    >
      <Flex direction="column" gap="2">
        <Flex align="center" gap="3" style={{ flexWrap: 'wrap' }}>
          <Text as="h3" variant="title-x-small">
            {`${index + 1}. ${name}`}
          </Text>
          <StatusBadge status={stepStatus(step, t)} />
          {step.startedAt && (
            <Text variant="body-small" color="secondary">
              {t('steps.started', { age: age(step.startedAt, t) })}
              {step.finishedAt &&
                ` · ${t('steps.finished', { age: age(step.finishedAt, t) })}`}
              {step.attempt > 1 &&
                ` · ${t('steps.attempt', { attempt: String(step.attempt) })}`}
            </Text>
          )}
        </Flex>
        <Text as="p" color="secondary">
          {t(`steps.purpose.${step.name}`, {
            key: plan.key,
            batchRows: formatCount(plan.batchRows),
          })}
        </Text>
        {step.waitingFor && (
          <Text as="p" color="warning" role="status">
            {t('steps.waitingFor', { reason: step.waitingFor })}
          </Text>
        )}
        {step.error && (
          <Alert
            status="danger"
            icon
            title={t('steps.failed')}
            description={step.error}
          />
        )}
        {progress && (
          <Flex direction="column" gap="1" style={{ maxWidth: 640 }}>
            <ProgressBar
              label={t('steps.progressLabel')}
              done={progress.rowsDone}
              blocked={0}
              total={progress.rowsTotal}
            />
            <Text variant="body-small" color="secondary">
              {t('steps.progress', {
                percent: String(percentDone(progress)),
                done: formatCount(progress.rowsDone),
                total: formatCount(progress.rowsTotal),
              })}
              {progress.rowsPerSecond !== undefined &&
                ` · ${t('steps.rate', {
                  rate: formatCount(progress.rowsPerSecond),
                })}`}
            </Text>
          </Flex>
        )}
        {step.verification && (
          <StepVerificationResult verification={step.verification} />
        )}
        {step.doneBy && (
          <Text as="p" variant="body-small">
            {t('steps.doneBy', { who: people(step.doneBy) })}
          </Text>
        )}
        {step.approvedBy && (
          <Text as="p" variant="body-small">
            {t('steps.approvedBy', {
              who: people(step.approvedBy),
              age: step.approvedAt ? age(step.approvedAt, t) : '',
            })}
          </Text>
        )}
        <StatementBlock
          title={t('steps.statements', { count: step.statements.length })}
          region={t('steps.statementsLabel', { step: name })}
          statements={step.statements}
          expanded={isNext}
        />
        {step.rollback.length > 0 ? (
          <StatementBlock
            title={t('steps.rollback', { count: step.rollback.length })}
            region={t('steps.rollbackLabel', { step: name })}
            statements={step.rollback}
          />
        ) : (
          <Text as="p" variant="body-small" color="secondary">
            {t('steps.noRollback')}
          </Text>
        )}
        {!!step.approval?.length && (
          <StatementBlock
            title={t('steps.approval', { count: step.approval.length })}
            region={t('steps.approvalLabel')}
            statements={step.approval}
          />
        )}
        {actions}
      </Flex>
    </li>
  );
}
