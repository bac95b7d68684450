import type {
  ChangeSpec,
  DraftImpact,
  DraftSuggestion,
  DraftUndecided,
  Migration,
} from '@ripple/backstage-plugin-ripple-common';

/** A column as the draft task keeps it: the dataset's, with its declared old name. */
export type SnapshotColumn = {
  name: string;
  type?: string;
  renamedFrom?: string;
};

/** The schema last seen of a dataset (`dataset_schema`). */
export type SchemaSnapshot = {
  datasetRef: string;
  columns: SnapshotColumn[];
  hash: string;
  seenAt: string;
};

/** What the owners are told of a draft, kept until it is sent. */
export type DraftNotification = {
  recipients: string[];
  title: string;
  description: string;
  link: string;
};

/** A draft as a schema change makes or updates it. */
export type DraftContent = {
  title: string;
  owner: string;
  change: ChangeSpec;
  suggestions: DraftSuggestion[];
  undecided: DraftUndecided[];
  impactSummary: DraftImpact;
  notification: DraftNotification;
  /** For the timeline: what changed. */
  message: string;
};

/** The ref drafts from schema changes are created by (docs/backend.md). */
export const RIPPLE_ACTOR = 'plugin:default/ripple';

/** A person's decision on a suggested rename, by suggestion id. */
export type SuggestionDecisions = Record<string, 'confirm' | 'reject'>;

/** A dataset's unstarted draft from an earlier schema change. */
export type OpenDraft = {
  migration: Migration;
  /** The schema its change starts from. */
  schemaBefore: SnapshotColumn[];
  decisions: SuggestionDecisions;
};

/**
 * The drafts from schema changes (docs/backend.md, "Drafts from schema
 * changes"): the schema last seen of each dataset, and the drafts written
 * with it. Hides knex, as the migrations' store does.
 */
export interface DraftStore {
  /** The schemas last seen, by dataset ref (lower case). */
  listSchemaSnapshots(): Promise<Map<string, SchemaSnapshot>>;

  /** The dataset's unstarted draft from a schema change, if any. */
  openDraft(datasetRef: string): Promise<OpenDraft | undefined>;

  /**
   * Records a dataset's schema, compare-and-set on the hash read before
   * (`previousHash`; none for a first sighting), and in the same
   * transaction writes `draft` (a new migration in `draft`, or the open
   * draft `draft.migrationId`, updated while it is still a draft) or
   * cancels the open draft `close` (the schema is back as it was).
   * `recorded` is false when another run recorded it meanwhile: nothing is
   * written.
   */
  recordSchema(input: {
    datasetRef: string;
    previousHash?: string;
    columns: SnapshotColumn[];
    hash: string;
    draft?: DraftContent & {
      migrationId?: string;
      schemaBefore: SnapshotColumn[];
      decisions: SuggestionDecisions;
    };
    close?: { migrationId: string; message: string };
  }): Promise<{ recorded: boolean; migration?: Migration }>;

  /** The drafts whose owners' notification is not sent yet. */
  listPendingNotifications(): Promise<
    { migrationId: string; notification: DraftNotification }[]
  >;

  /**
   * Marks a draft's notification sent before it is sent (at most once),
   * compare-and-set on it: false when another run took it, or a later
   * change replaced it.
   */
  takeNotification(
    migrationId: string,
    notification: DraftNotification,
  ): Promise<boolean>;

  /**
   * Replaces a draft's change, suggestions, decisions and impact while it
   * is still a draft with the suggestions read (`expectedSuggestions`,
   * compare-and-set: a 409 otherwise), with a `draft-updated` event.
   */
  updateDraft(input: {
    migrationId: string;
    expectedSuggestions: DraftSuggestion[];
    change: ChangeSpec;
    suggestions: DraftSuggestion[];
    decisions: SuggestionDecisions;
    impactSummary?: DraftImpact;
    actor: string;
    message: string;
  }): Promise<Migration>;
}
