import type { Config } from '@backstage/config';
import path from 'node:path';
import { createBigQueryWarehouse } from './bigquery';
import { createDuckDbWarehouse } from './duckdb';
import { createPostgresWarehouse } from './postgres';
import { createSnowflakeWarehouse } from './snowflake';
import type { RippleWarehouse, WarehouseStepsMode } from './warehouse';

/** The warehouse types Ripple can run migration steps on (`steps: run`). */
const STEP_TYPES = ['duckdb', 'postgres'];

/**
 * Makes the connections of one warehouse `type` from their config (an
 * entry of `ripple.warehouses`). Backend modules add types through
 * `rippleWarehouseExtensionPoint`.
 *
 * @public
 */
export interface RippleWarehouseType {
  /** The `type` of `ripple.warehouses.<id>` it reads (`duckdb`, `postgres`). */
  readonly type: string;
  create(id: string, config: Config): Promise<RippleWarehouse>;
}

/**
 * The types Ripple ships: DuckDB (embedded, the default), PostgreSQL,
 * BigQuery and Snowflake. @public
 */
export function createDefaultWarehouseTypes(
  options: {
    /** Where relative DuckDB paths start (the backend's working directory by default). */
    baseDir?: string;
  } = {},
): RippleWarehouseType[] {
  return [
    {
      type: 'duckdb',
      create: (id, config) =>
        createDuckDbWarehouse({
          id,
          path: path.resolve(
            options.baseDir ?? process.cwd(),
            config.getString('path'),
          ),
          scratchSchema: config.getOptionalString('scratchSchema'),
          steps: config.getOptionalString('steps') === 'run',
        }),
    },
    {
      type: 'postgres',
      create: async (id, config) => {
        const connection = config.getConfig('connection');
        return createPostgresWarehouse({
          id,
          connection: {
            host: connection.getOptionalString('host'),
            port: connection.getOptionalNumber('port'),
            user: connection.getOptionalString('user'),
            password: connection.getOptionalString('password'),
            database: connection.getOptionalString('database'),
            ssl: connection.getOptional('ssl'),
          },
          scratchSchema: config.getOptionalString('scratchSchema'),
          maxConnections: config.getOptionalNumber('maxConnections'),
          steps: config.getOptionalString('steps') === 'run',
        });
      },
    },
    {
      type: 'bigquery',
      create: async (id, config) => {
        const credentials = config.getOptional<string | object>('credentials');
        return createBigQueryWarehouse({
          id,
          projectId: config.getString('projectId'),
          location: config.getOptionalString('location'),
          // The key's JSON, as an object or as the text of the file.
          credentials:
            typeof credentials === 'string'
              ? JSON.parse(credentials)
              : (credentials as BigQueryCredentials | undefined),
          keyFilename: config.getOptionalString('keyFilename'),
          apiEndpoint: config.getOptionalString('apiEndpoint'),
          scratchDataset: config.getOptionalString('scratchSchema'),
          maxBytes: config.getOptionalNumber('maxBytes'),
        });
      },
    },
    {
      type: 'snowflake',
      create: async (id, config) =>
        createSnowflakeWarehouse({
          id,
          account: config.getString('account'),
          url: config.getOptionalString('url'),
          user: config.getString('user'),
          privateKey: config.getOptionalString('privateKey'),
          privateKeyPassphrase: config.getOptionalString(
            'privateKeyPassphrase',
          ),
          token: config.getOptionalString('token'),
          warehouse: config.getOptionalString('warehouse'),
          role: config.getOptionalString('role'),
          database: config.getOptionalString('database'),
          scratchSchema: config.getOptionalString('scratchSchema'),
        }),
    },
  ];
}

type BigQueryCredentials = NonNullable<
  Parameters<typeof createBigQueryWarehouse>[0]['credentials']
>;

/**
 * The warehouses `ripple.warehouses` configures, each made on first use by
 * its type. An unknown type is an error naming the config key.
 *
 * @public
 */
export class RippleWarehouses {
  private readonly made = new Map<string, Promise<RippleWarehouse>>();

  constructor(
    private readonly config: Config | undefined,
    private readonly types: RippleWarehouseType[],
  ) {
    for (const id of this.ids()) {
      const type = this.entry(id).getString('type');
      if (!this.types.some(t => t.type === type)) {
        throw new Error(
          `ripple.warehouses.${id}.type: unknown warehouse type "${type}" (known: ${this.types
            .map(t => t.type)
            .join(', ')})`,
        );
      }
      const steps = this.entry(id).getOptionalString('steps');
      if (steps !== undefined && steps !== 'run' && steps !== 'hand-over') {
        throw new Error(
          `ripple.warehouses.${id}.steps: "${steps}" is neither run nor hand-over`,
        );
      }
      if (steps === 'run' && !STEP_TYPES.includes(type)) {
        throw new Error(
          `ripple.warehouses.${id}.steps: Ripple runs migration steps on ${STEP_TYPES.join(
            ' and ',
          )} only, not on ${type}; use hand-over`,
        );
      }
    }
  }

  /** Who runs migration steps on the warehouse `id` (`ripple.warehouses.<id>.steps`). */
  stepsMode(id: string): WarehouseStepsMode {
    return this.ids().includes(id) &&
      this.entry(id).getOptionalString('steps') === 'run'
      ? 'run'
      : 'hand-over';
  }

  /** The configured ids. */
  ids(): string[] {
    return this.config?.keys() ?? [];
  }

  /** The warehouse `id`, connected on first use; undefined when none has that id. */
  get(id: string): Promise<RippleWarehouse> | undefined {
    if (!this.ids().includes(id)) return undefined;
    let warehouse = this.made.get(id);
    if (!warehouse) {
      const entry = this.entry(id);
      const type = this.types.find(t => t.type === entry.getString('type'))!;
      warehouse = type.create(id, entry);
      // A failed connection is tried again on the next use.
      warehouse.catch(() => this.made.delete(id));
      this.made.set(id, warehouse);
    }
    return warehouse;
  }

  async close(): Promise<void> {
    const all = [...this.made.values()];
    this.made.clear();
    await Promise.all(
      all.map(w =>
        w.then(
          x => x.close(),
          () => {},
        ),
      ),
    );
  }

  private entry(id: string): Config {
    return this.config!.getConfig(id);
  }
}
