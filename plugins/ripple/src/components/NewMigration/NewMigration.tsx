import { Alert, Button, Flex } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { Migration } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { rippleTranslationRef } from '../../translation';
import { useLoad } from '../../hooks/useLoad';
import { ErrorPanel, Loading } from '../common/Feedback';
import { NewMigrationForm } from './NewMigrationForm';
import { draftsFromLink } from './changeFromLink';

/**
 * Loads what the live preview needs once (the dataset's schema and its
 * consumers' code), then hands over to the form: every edit after that is
 * computed in the browser, without a request.
 */
export function NewMigration(props: {
  datasetRef: string;
  /** A link's change spec (its JSON), to fill the form in with. */
  linkedChange?: string;
  onCreated: (migration: Migration) => void;
  onCancel: () => void;
}) {
  const { datasetRef } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const loaded = useLoad(
    () =>
      Promise.all([
        rippleApi.getDataset(datasetRef),
        rippleApi.getDatasetCode(datasetRef),
      ]),
    [rippleApi, datasetRef],
  );
  if (loaded.loading)
    return <Loading label={t('newMigration.loading')} rows={4} />;
  if (!loaded.value) {
    return (
      <ErrorPanel
        title={t('newMigration.loadError')}
        error={loaded.error}
        action={
          <Flex gap="2">
            <Button variant="secondary" onPress={loaded.reload}>
              {t('newMigration.tryAgain')}
            </Button>
            <Button variant="tertiary" onPress={props.onCancel}>
              {t('newMigration.close')}
            </Button>
          </Flex>
        }
      />
    );
  }
  const [dataset, code] = loaded.value;
  const linked =
    props.linkedChange === undefined
      ? undefined
      : draftsFromLink(props.linkedChange, dataset.table);
  return (
    <Flex direction="column" gap="3">
      {linked && 'problem' in linked && (
        <Alert
          status="warning"
          icon
          title={t('newMigration.linkIgnoredTitle')}
          description={t(`newMigration.linkIgnored.${linked.problem}`, {
            table: dataset.table,
          })}
        />
      )}
      {code.consumers.length === 0 && (
        <Alert
          status="info"
          icon
          title={t('newMigration.noConsumerTitle')}
          description={t('newMigration.noConsumerDescription')}
        />
      )}
      <NewMigrationForm
        datasetRef={datasetRef}
        dataset={dataset}
        code={code.consumers}
        initialDrafts={linked && 'drafts' in linked ? linked.drafts : undefined}
        onCreated={props.onCreated}
        onCancel={props.onCancel}
      />
    </Flex>
  );
}
