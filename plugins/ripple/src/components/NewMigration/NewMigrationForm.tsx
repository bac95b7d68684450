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
import { CodeSnippet } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type {
  ConsumerCode,
  Dataset,
  Migration,
} from '@ripple/backstage-plugin-ripple-common';
import type { Dialect } from '@ripple/engine';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { useEngine } from '../../hooks/useEngine';
import { errorMessage } from '../common/Feedback';
import { Counts } from '../common/Counts';
import { StatusBadge } from '../common/StatusBadge';
import type { Status } from '../common/status';
import styles from '../common/ripple.module.css';
import {
  buildChange,
  CHANGE_KINDS,
  defaultTitle,
  emptyDraft,
  type ChangeDraft,
  type ChangeKind,
} from './changeDraft';
import type { PreviewResult } from './livePreview';
import { useLivePreview } from './useLivePreview';

const PROPOSAL_STATUS: Record<string, Status> = {
  rewritten: { tone: 'active', label: 'Will be rewritten' },
  needs_review: { tone: 'active', label: 'Needs a person' },
  error: { tone: 'blocked', label: 'Cannot be read' },
  unaffected: { tone: 'done', label: 'Unaffected' },
};

/**
 * "New migration": the change built from the dataset's columns, its impact
 * on every consumer recomputed in the browser on each edit, then created
 * and sent to the agent for analysis.
 */
export function NewMigrationForm(props: {
  datasetRef: string;
  dataset: Dataset;
  code: ConsumerCode[];
  onCreated: (migration: Migration) => void;
  onCancel: () => void;
}) {
  const { datasetRef, dataset, code, onCreated, onCancel } = props;
  const rippleApi = useApi(rippleApiRef);
  const { engine, error: engineError } = useEngine();
  const [drafts, setDrafts] = useState<ChangeDraft[]>([emptyDraft()]);
  const [title, setTitle] = useState('');
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
        change: built.change as unknown as Record<string, unknown>,
        title: title.trim() || defaultTitle(drafts),
      });
      // The agent starts at once: its proposals replace this preview.
      onCreated(await rippleApi.analyzeMigration(migration.id));
    });
  }

  const columnOptions = dataset.columns.map(c => ({
    value: c.name,
    label: c.type ? `${c.name} (${c.type})` : c.name,
  }));

  return (
    <Card>
      <CardHeader>
        <Text as="h3" variant="title-small">
          New migration of {dataset.table}
        </Text>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="4">
          {drafts.map((d, i) => (
            <fieldset
              key={i}
              className={styles.changeRow}
              aria-label={`Change ${i + 1}`}
            >
              <Select
                label="Change"
                value={d.kind}
                onChange={k =>
                  k && update(i, { ...emptyDraft(k as ChangeKind) })
                }
                options={CHANGE_KINDS}
              />
              {(d.kind === 'rename_column' ||
                d.kind === 'drop_column' ||
                d.kind === 'change_type') &&
                (columnOptions.length > 0 ? (
                  <Select
                    label="Column"
                    placeholder="Choose a column"
                    value={d.column || null}
                    onChange={k => k && update(i, { column: String(k) })}
                    options={columnOptions}
                    searchable={columnOptions.length > 12}
                  />
                ) : (
                  <TextField
                    label="Column"
                    description="The dataset's schema is unknown: type the column"
                    value={d.column}
                    onChange={v => update(i, { column: v })}
                  />
                ))}
              {d.kind === 'rename_column' && (
                <TextField
                  label="New name"
                  value={d.to}
                  onChange={v => update(i, { to: v })}
                />
              )}
              {d.kind === 'change_type' && (
                <TextField
                  label="New type"
                  placeholder="NUMERIC"
                  value={d.to}
                  onChange={v => update(i, { to: v })}
                />
              )}
              {(d.kind === 'rename_table' || d.kind === 'replace_table') && (
                <TextField
                  label={
                    d.kind === 'rename_table' ? 'New table' : 'Replacing table'
                  }
                  placeholder="proj.ds.orders_v2"
                  value={d.to}
                  onChange={v => update(i, { to: v })}
                />
              )}
              {d.kind === 'replace_table' && (
                <Flex direction="column" gap="2" style={{ width: '100%' }}>
                  <Text variant="body-small" color="secondary">
                    Field mapping: the new table's name for each column (empty:
                    unchanged).
                  </Text>
                  <Flex gap="2" style={{ flexWrap: 'wrap' }}>
                    {dataset.columns.map(c => (
                      <TextField
                        key={c.name}
                        label={`${c.name} becomes`}
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
                  Remove change {i + 1}
                </Button>
              )}
            </fieldset>
          ))}
          <Flex>
            <Button
              variant="tertiary"
              onPress={() => setDrafts(ds => [...ds, emptyDraft()])}
            >
              Add another change
            </Button>
          </Flex>

          <section aria-label="Impact preview" aria-live="polite">
            <Flex direction="column" gap="3">
              <Text as="h4" variant="title-x-small">
                Impact
              </Text>
              {engineError && (
                <Alert
                  status="danger"
                  icon
                  title={`The engine could not load: ${engineError.message}`}
                />
              )}
              {!engine && !engineError && (
                <Text color="secondary">Loading the engine…</Text>
              )}
              {'missing' in built && (
                <Text color="secondary">
                  {built.missing} to see the impact.
                </Text>
              )}
              {preview && 'error' in preview && (
                <Alert
                  status="danger"
                  icon
                  role="alert"
                  title="The engine refuses this change"
                  description={preview.error}
                />
              )}
              {preview && 'consumers' in preview && (
                <PreviewSummary preview={preview} edit={preview.edit} />
              )}
            </Flex>
          </section>

          <TextField
            label="Title"
            placeholder={defaultTitle(drafts)}
            value={title}
            onChange={setTitle}
          />
          {!!createError && (
            <Alert
              status="danger"
              icon
              role="alert"
              title="The migration was not created"
              description={errorMessage(createError)}
            />
          )}
          <Flex gap="2">
            <Button
              variant="primary"
              onPress={create}
              isPending={!!creating}
              isDisabled={
                !('change' in built) || (!!preview && 'error' in preview)
              }
            >
              Create the migration
            </Button>
            <Button variant="secondary" onPress={onCancel}>
              Cancel
            </Button>
          </Flex>
        </Flex>
      </CardBody>
    </Card>
  );
}

function PreviewSummary({
  preview,
  edit,
}: {
  preview: PreviewResult;
  edit: number;
}) {
  const affected = preview.consumers.filter(c => c.status !== 'unaffected');
  return (
    <>
      <Counts
        label="Impact summary"
        items={[
          {
            label: 'Consumers affected',
            value: `${preview.affected} of ${preview.consumers.length}`,
          },
          { label: 'References', value: preview.references },
          {
            label: <StatusBadge status={PROPOSAL_STATUS.rewritten} />,
            value: preview.rewritten,
          },
          {
            label: <StatusBadge status={PROPOSAL_STATUS.needs_review} />,
            value: preview.needsReview + preview.errors,
          },
        ]}
      />
      <Text
        variant="body-small"
        color="secondary"
        data-preview-ms={preview.millis.toFixed(2)}
        data-preview-edit={edit}
      >
        Computed in your browser in {preview.millis.toFixed(1)} ms over{' '}
        {preview.consumers.length} consumer
        {preview.consumers.length === 1 ? '' : 's'}.
      </Text>
      {affected.length > 0 && (
        <ul className={styles.previewList} aria-label="Affected consumers">
          {affected.map(c => (
            <li key={c.consumerRef}>
              <PreviewConsumer consumer={c} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function PreviewConsumer({
  consumer: c,
}: {
  consumer: PreviewResult['consumers'][number];
}) {
  // The diff is rendered only when opened: a change touching hundreds of
  // consumers stays quick to edit.
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={e => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>
        <strong>{c.consumerRef}</strong>
        <StatusBadge status={PROPOSAL_STATUS[c.status]} />
        <Text variant="body-small" color="secondary">
          {c.impact.references} reference{c.impact.references === 1 ? '' : 's'}{' '}
          in {c.impact.files.map(f => f.path).join(', ') || 'no file'} ·{' '}
          {c.edits} edit{c.edits === 1 ? '' : 's'}
        </Text>
      </summary>
      {open && (
        <Flex direction="column" gap="2" pt="2">
          {c.reasons.length > 0 && (
            <ul aria-label={`Why ${c.consumerRef} needs a person`}>
              {c.reasons.map((r, i) => (
                <li key={i}>
                  <Text variant="body-small">
                    <code>{r.path}</code>: {r.message}
                  </Text>
                </li>
              ))}
            </ul>
          )}
          {c.diff && <CodeSnippet text={c.diff} language="diff" />}
        </Flex>
      )}
    </details>
  );
}
