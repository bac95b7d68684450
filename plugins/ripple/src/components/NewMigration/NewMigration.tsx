import { Alert, Button, Flex } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import type { Migration } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { ErrorPanel, Loading } from '../common/Feedback';
import { NewMigrationForm } from './NewMigrationForm';

/**
 * Loads what the live preview needs once (the dataset's schema and its
 * consumers' code), then hands over to the form: every edit after that is
 * computed in the browser, without a request.
 */
export function NewMigration(props: {
  datasetRef: string;
  onCreated: (migration: Migration) => void;
  onCancel: () => void;
}) {
  const { datasetRef } = props;
  const rippleApi = useApi(rippleApiRef);
  const loaded = useLoad(
    () => Promise.all([rippleApi.getDataset(datasetRef), rippleApi.getDatasetCode(datasetRef)]),
    [rippleApi, datasetRef],
  );
  if (loaded.loading) return <Loading label="Loading the dataset and its consumers' code" rows={4} />;
  if (!loaded.value) {
    return (
      <ErrorPanel
        title="Could not load the dataset's schema and consumers"
        error={loaded.error}
        action={
          <Flex gap="2">
            <Button variant="secondary" onPress={loaded.reload}>
              Try again
            </Button>
            <Button variant="tertiary" onPress={props.onCancel}>
              Close
            </Button>
          </Flex>
        }
      />
    );
  }
  const [dataset, code] = loaded.value;
  return (
    <Flex direction="column" gap="3">
      {code.consumers.length === 0 && (
        <Alert
          status="info"
          icon
          title="No consumer reads this dataset"
          description="Neither the catalog (dependsOn) nor the code of other entities names it: the change breaks nothing Ripple knows of."
        />
      )}
      <NewMigrationForm
        datasetRef={datasetRef}
        dataset={dataset}
        code={code.consumers}
        onCreated={props.onCreated}
        onCancel={props.onCancel}
      />
    </Flex>
  );
}
