import { useState } from 'react';
import { Button, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { rippleMigrationCreatePermission } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { rippleTranslationRef } from '../../translation';
import { loadAllPages, useLoad } from '../../hooks/useLoad';
import { useMigrationLink } from '../../routes';
import { Empty, ErrorPanel, Loading } from '../common/Feedback';
import { MigrationsTable } from '../common/MigrationsTable';
import { NewMigration } from '../NewMigration';
import { DraftMigration } from './DraftMigration';
import { DatasetSteps } from './DatasetSteps';
import {
  CHANGE_PARAM,
  NEW_MIGRATION_PARAM,
} from '../NewMigration/changeFromLink';

/**
 * A dataset's migrations, drafts first (each with its change, suggestions
 * and Start/Discard), and "New migration" for those allowed to create one.
 */
export function DatasetMigrations({ datasetRef }: { datasetRef: string }) {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const navigate = useNavigate();
  const migrationLink = useMigrationLink();
  const create = usePermission({
    permission: rippleMigrationCreatePermission,
    resourceRef: datasetRef,
  });
  // A link may open the form with a change filled in (`ripple check`'s).
  const [search] = useSearchParams();
  const [linkedChange] = useState(() =>
    search.get(NEW_MIGRATION_PARAM) === 'true'
      ? search.get(CHANGE_PARAM) ?? undefined
      : undefined,
  );
  const [creating, setCreating] = useState(
    search.get(NEW_MIGRATION_PARAM) === 'true',
  );
  const migrations = useLoad(
    () =>
      loadAllPages(page =>
        rippleApi.listMigrations({ ...page, dataset: datasetRef }),
      ),
    [rippleApi, datasetRef],
    { refreshMs: 15000 },
  );

  const drafts = (migrations.value ?? []).filter(m => m.state === 'draft');
  const others = (migrations.value ?? []).filter(m => m.state !== 'draft');

  return (
    <Flex direction="column" gap="4">
      <Flex justify="between" align="center">
        <Text as="h2" variant="title-small">
          {t('entity.datasetTitle')}
        </Text>
        {create.allowed && !creating && (
          <Button variant="primary" onPress={() => setCreating(true)}>
            {t('entity.newMigration')}
          </Button>
        )}
      </Flex>
      {creating && create.allowed && (
        <NewMigration
          datasetRef={datasetRef}
          linkedChange={linkedChange}
          onCreated={m =>
            migrationLink ? navigate(migrationLink(m.id)) : setCreating(false)
          }
          onCancel={() => setCreating(false)}
        />
      )}
      {migrations.loading && <Loading label={t('entity.loading')} />}
      {migrations.error && (
        <ErrorPanel title={t('entity.loadError')} error={migrations.error} />
      )}
      {drafts.length > 0 && (
        <section aria-label={t('draft.sectionTitle')}>
          <Flex direction="column" gap="3">
            {drafts.map(m => (
              <DraftMigration
                key={m.id}
                migration={m}
                onChanged={migrations.reload}
              />
            ))}
          </Flex>
        </section>
      )}
      {others.length > 0 && <DatasetSteps migrations={others} />}
      {migrations.value && (drafts.length === 0 || others.length > 0) && (
        <MigrationsTable
          migrations={others}
          columns={['title', 'state', 'progress', 'counts', 'age']}
          filters={others.length > 10}
          emptyState={
            <Empty title={t('entity.noDatasetMigrationTitle')}>
              {t('entity.noDatasetMigrationBody')}
            </Empty>
          }
        />
      )}
    </Flex>
  );
}
