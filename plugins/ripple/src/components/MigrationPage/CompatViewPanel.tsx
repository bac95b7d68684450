import { Alert, Button, Flex, Text } from '@backstage/ui';
import { CodeSnippet } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  rippleRolloutManagePermission,
  type CompatView,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import type { Loaded } from '../../hooks/useLoad';
import { ErrorPanel, Loading, age, errorMessage } from '../common/Feedback';

/**
 * The compatibility view: the DDL that keeps the dataset's old name working
 * while consumers migrate, with copy buttons, who applied it, and the
 * cleanup once every consumer is merged and healthy.
 */
export function CompatViewPanel(props: {
  migration: Migration;
  view: Loaded<CompatView>;
}) {
  const { migration, view } = props;
  const rippleApi = useApi(rippleApiRef);
  const manage = usePermission({
    permission: rippleRolloutManagePermission,
    resourceRef: migration.datasetRef,
  });
  const { pending, error, run } = useAction({ onSettled: view.reload });

  if (view.loading) return <Loading label="Loading the compatibility view" />;
  if (!view.value) {
    return <ErrorPanel title="Could not load the compatibility view" error={view.error} />;
  }
  const v = view.value;
  const overridden = v.overrideReason && (
    <Text as="p">
      The rollout was started without the view
      {v.overriddenBy && <> by <EntityRefLink entityRef={v.overriddenBy} hideIcon /></>}
      {v.overriddenAt && ` ${age(v.overriddenAt)}`}: {v.overrideReason}
    </Text>
  );
  if (v.state === 'unavailable') {
    return (
      <Flex direction="column" gap="3">
        <Text as="p" color="secondary">
          {v.required
            ? `The change moves the table, but its compatibility view cannot be built${v.reason ? `: ${v.reason}` : '.'}`
            : `No compatibility view for this change${v.reason ? `: ${v.reason}` : '.'}`}
        </Text>
        {overridden}
      </Flex>
    );
  }

  const markApplied = () => run(true, () => rippleApi.markCompatViewApplied(migration.id));

  return (
    <Flex direction="column" gap="3">
      <Text as="p">
        Run this DDL before the rollout so that consumers not migrated yet keep reading the
        dataset under its old name.
      </Text>
      <div role="region" aria-label="Compatibility view DDL">
        <CodeSnippet text={v.ddl ?? ''} language="sql" showCopyCodeButton />
      </div>
      {overridden}
      {v.state === 'applied' ? (
        <Text as="p">
          ✓ Applied{v.appliedBy && <> by <EntityRefLink entityRef={v.appliedBy} hideIcon /></>}
          {v.appliedAt && ` ${age(v.appliedAt)}`}.
        </Text>
      ) : (
        manage.allowed && (
          <Flex>
            <Button variant="secondary" onPress={markApplied} isPending={!!pending}>
              I ran it: mark the view applied
            </Button>
          </Flex>
        )
      )}
      {v.cleanupOffered && v.cleanupDdl ? (
        <>
          <Text as="h4" variant="title-x-small">
            Cleanup
          </Text>
          <Text as="p">Every consumer is merged and healthy: the view can go.</Text>
          <div role="region" aria-label="Cleanup DDL">
            <CodeSnippet text={v.cleanupDdl} language="sql" showCopyCodeButton />
          </div>
        </>
      ) : (
        <Text as="p" color="secondary">
          The cleanup is offered once every consumer is merged and healthy
          {v.reason ? ` (${v.reason})` : ''}.
        </Text>
      )}
      {!!error && (
        <Alert status="danger" icon role="alert" title="Not recorded" description={errorMessage(error)} />
      )}
    </Flex>
  );
}
