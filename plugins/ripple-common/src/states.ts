import type { MigrationState } from './schema/openapi';

/**
 * The states a migration can move to from each state. The backend refuses
 * any other move (409); the frontend uses the table to offer only the actions
 * that can succeed.
 *
 * A rolled-back migration can resume its rollout (the compatibility view
 * stays in place); `completed` and `cancelled` are final.
 *
 * @public
 */
export const migrationTransitions: Readonly<
  Record<MigrationState, readonly MigrationState[]>
> = {
  draft: ['analyzing', 'cancelled'],
  analyzing: ['proposed', 'cancelled'],
  proposed: ['analyzing', 'rolling_out', 'cancelled'],
  rolling_out: ['paused', 'completed', 'rolled_back'],
  paused: ['rolling_out', 'rolled_back'],
  rolled_back: ['rolling_out', 'cancelled'],
  completed: [],
  cancelled: [],
};

/**
 * Every migration state, in the order a migration usually goes through them.
 *
 * @public
 */
export const migrationStates = Object.keys(
  migrationTransitions,
) as MigrationState[];

/**
 * The states from which a migration can move to `to`.
 *
 * @public
 */
export function migrationStatesLeadingTo(to: MigrationState): MigrationState[] {
  return migrationStates.filter(from =>
    migrationTransitions[from].includes(to),
  );
}

/**
 * The states in which a consumer's current patch can be reviewed: once
 * patches exist and until the migration ends.
 *
 * @public
 */
export const reviewableMigrationStates: readonly MigrationState[] = [
  'analyzing',
  'proposed',
  'rolling_out',
  'paused',
  'rolled_back',
];
