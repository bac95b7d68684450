import { useMemo, useState } from 'react';
import {
  Alert,
  Button,
  Card,
  CardBody,
  CardHeader,
  Flex,
  Select,
  Text,
  TextField,
} from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  ConsumerCode,
  Dataset,
  Migration,
  NewMigration,
} from '@ripple/backstage-plugin-ripple-common';
import type { Dialect } from '@ripple/engine';
import { rippleApiRef } from '../../api';
import { isTargetDate } from '../MigrationPage/TargetDate';
import { useAction } from '../../hooks/useAction';
import { useEngine } from '../../hooks/useEngine';
import { rippleTranslationRef } from '../../translation';
import { errorMessage } from '../common/Feedback';
import styles from '../common/ripple.module.css';
import {
  buildChange,
  CHANGE_KINDS,
  defaultTitle,
  describeMissing,
  emptyDraft,
  type ChangeDraft,
  type ChangeKind,
} from './changeDraft';
import { PreviewSummary } from './PreviewSummary';
import { useLivePreview } from './useLivePreview';

/**
 * "New migration": the change built from the dataset's columns, its impact
 * on every consumer recomputed in the browser on each edit, then created
 * and sent to the agent for analysis.
 */
export function NewMigrationForm(props: {
  datasetRef: string;
  dataset: Dataset;
  code: ConsumerCode[];
  /** The change to start from (a link's, see `changeFromLink.ts`). */
  initialDrafts?: ChangeDraft[];
  onCreated: (migration: Migration) => void;
  onCancel: () => void;
}) {
  const { datasetRef, dataset, code, onCreated, onCancel } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const { engine, error: engineError } = useEngine();
  const [drafts, setDrafts] = useState<ChangeDraft[]>(
    () => props.initialDrafts ?? [emptyDraft()],
  );
  const [title, setTitle] = useState('');
  const [targetDate, setTargetDate] = useState('');
  const badTargetDate =
    targetDate.trim() !== '' && !isTargetDate(targetDate.trim());
  const { pending: creating, error: createError, run } = useAction();
  const built = useMemo(
    () =>
      buildChange(
        dataset.table,
        dataset.dialect as Dialect | undefined,
        drafts,
      ),
    [dataset.table, dataset.dialect, drafts],
  );
  const preview = useLivePreview(
    engine,
    'change' in built ? built.change : undefined,
    code,
    dataset.columns,
  );

  const update = (i: number, patch: Partial<ChangeDraft>) =>
    setDrafts(ds => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));

  async function create() {
    if (!('change' in built)) return;
    await run(true, async () => {
      const migration = await rippleApi.createMigration({
        datasetRef,
        // The engine's generated type reads a JSON object of mappings as a
        // Map (tsify); the API's, as the object it is.
        change: built.change as unknown as NewMigration['change'],
        title: title.trim() || defaultTitle(drafts, t),
        ...(targetDate.trim() ? { targetDate: targetDate.trim() } : {}),
      });
      // The agent starts at once: its proposals replace this preview.
      onCreated(await rippleApi.analyzeMigration(migration.id));
    });
  }

  const columnOptions = dataset.columns.map(c => ({
    value: c.name,
    label: c.type
      ? t('newMigration.columnOption', { name: c.name, type: c.type })
      : c.name,
  }));

  return (
    <Card>
      <CardHeader>
        <Text as="h3" variant="title-small">
          {t('newMigration.title', { table: dataset.table })}
        </Text>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="4">
          {drafts.map((d, i) => (
            <fieldset
              key={i}
              className={styles.changeRow}
              aria-label={t('newMigration.changeLabel', {
                number: String(i + 1),
              })}
            >
              <Select
                label={t('newMigration.kindLabel')}
                value={d.kind}
                onChange={k =>
                  k && update(i, { ...emptyDraft(k as ChangeKind) })
                }
                options={CHANGE_KINDS.map(k => ({
                  value: k,
                  label: t(`newMigration.kind.${k}`),
                }))}
              />
              {(d.kind === 'rename_column' ||
                d.kind === 'drop_column' ||
                d.kind === 'change_type') &&
                (columnOptions.length > 0 ? (
                  <Select
                    label={t('newMigration.columnLabel')}
                    placeholder={t('newMigration.columnPlaceholder')}
                    value={d.column || null}
                    onChange={k => k && update(i, { column: String(k) })}
                    options={columnOptions}
                    searchable={columnOptions.length > 12}
                  />
                ) : (
                  <TextField
                    label={t('newMigration.columnLabel')}
                    description={t('newMigration.unknownSchema')}
                    value={d.column}
                    onChange={v => update(i, { column: v })}
                  />
                ))}
              {d.kind === 'rename_column' && (
                <TextField
                  label={t('newMigration.newName')}
                  value={d.to}
                  onChange={v => update(i, { to: v })}
                />
              )}
              {d.kind === 'change_type' && (
                <TextField
                  label={t('newMigration.newType')}
                  placeholder="NUMERIC"
                  value={d.to}
                  onChange={v => update(i, { to: v })}
                />
              )}
              {(d.kind === 'rename_table' || d.kind === 'replace_table') && (
                <TextField
                  label={
                    d.kind === 'rename_table'
                      ? t('newMigration.newTable')
                      : t('newMigration.replacingTable')
                  }
                  placeholder="proj.ds.orders_v2"
                  value={d.to}
                  onChange={v => update(i, { to: v })}
                />
              )}
              {d.kind === 'replace_table' && (
                <Flex direction="column" gap="2" style={{ width: '100%' }}>
                  <Text variant="body-small" color="secondary">
                    {t('newMigration.mapping')}
                  </Text>
                  <Flex gap="2" style={{ flexWrap: 'wrap' }}>
                    {dataset.columns.map(c => (
                      <TextField
                        key={c.name}
                        label={t('newMigration.mappingField', {
                          column: c.name,
                        })}
                        placeholder={c.name}
                        value={d.mapping[c.name] ?? ''}
                        onChange={v =>
                          update(i, { mapping: { ...d.mapping, [c.name]: v } })
                        }
                      />
                    ))}
                  </Flex>
                </Flex>
              )}
              {drafts.length > 1 && (
                <Button
                  variant="tertiary"
                  onPress={() => setDrafts(ds => ds.filter((_, j) => j !== i))}
                >
                  {t('newMigration.remove', { number: String(i + 1) })}
                </Button>
              )}
            </fieldset>
          ))}
          <Flex>
            <Button
              variant="tertiary"
              onPress={() => setDrafts(ds => [...ds, emptyDraft()])}
            >
              {t('newMigration.add')}
            </Button>
          </Flex>

          <section
            aria-label={t('newMigration.impactLabel')}
            aria-live="polite"
          >
            <Flex direction="column" gap="3">
              <Text as="h4" variant="title-x-small">
                {t('newMigration.impactTitle')}
              </Text>
              {engineError && (
                <Alert
                  status="danger"
                  icon
                  title={t('newMigration.engineError', {
                    message: engineError.message,
                  })}
                />
              )}
              {!engine && !engineError && (
                <Text color="secondary">{t('newMigration.engineLoading')}</Text>
              )}
              {'missing' in built && (
                <Text color="secondary">
                  {t('newMigration.toSeeImpact', {
                    missing: describeMissing(built.missing, t),
                  })}
                </Text>
              )}
              {preview && 'error' in preview && (
                <Alert
                  status="danger"
                  icon
                  role="alert"
                  title={t('newMigration.refused')}
                  description={preview.error}
                />
              )}
              {preview && 'consumers' in preview && (
                <PreviewSummary preview={preview} edit={preview.edit} />
              )}
            </Flex>
          </section>

          <TextField
            label={t('newMigration.titleField')}
            placeholder={defaultTitle(drafts, t)}
            value={title}
            onChange={setTitle}
          />
          <TextField
            label={t('deadline.label')}
            description={t('deadline.hint')}
            placeholder="2027-03-31"
            value={targetDate}
            onChange={setTargetDate}
            isInvalid={badTargetDate}
          />
          {!!createError && (
            <Alert
              status="danger"
              icon
              role="alert"
              title={t('newMigration.createError')}
              description={errorMessage(createError)}
            />
          )}
          <Flex gap="2">
            <Button
              variant="primary"
              onPress={create}
              isPending={!!creating}
              isDisabled={
                !('change' in built) ||
                (!!preview && 'error' in preview) ||
                badTargetDate
              }
            >
              {t('newMigration.create')}
            </Button>
            <Button variant="secondary" onPress={onCancel}>
              {t('newMigration.cancel')}
            </Button>
          </Flex>
        </Flex>
      </CardBody>
    </Card>
  );
}
