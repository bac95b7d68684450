import type { Entity } from '@backstage/catalog-model';
import { loadEngine } from '@ripple/engine';
import type { DeliveryRequest } from '../../delivery';

const CHANGE = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

/** The code of a consumer that reads the dataset, before the change. */
export const CONSUMER_FILES: Record<string, string> = {
  'models/revenue.sql': [
    'SELECT',
    '  o.id,',
    '  o.amount,',
    '  o.ts',
    'FROM proj.ds.orders AS o',
    "WHERE o.status = 'paid'",
    '',
  ].join('\n'),
  'models/untouched.sql': 'SELECT 1 AS one\n',
};

/**
 * The engine's real patch of {@link CONSUMER_FILES} for a column rename, and
 * the files as the patch leaves them.
 */
export async function enginePatch(files = CONSUMER_FILES) {
  const engine = await loadEngine();
  let diff = '';
  const patched: Record<string, string> = {};
  for (const [path, text] of Object.entries(files)) {
    const rewrite = engine.rewrite(path, text, CHANGE as any, {
      dialect: 'bigquery',
    });
    if (rewrite.patch) {
      diff += rewrite.patch;
      patched[path] = rewrite.content ?? text;
    }
  }
  return { diff, patched };
}

/** A delivery request for one consumer entity. */
export function deliveryRequest(options: {
  annotations?: Record<string, string>;
  diff: string;
  patchId?: number;
  owners?: string[];
  name?: string;
}): DeliveryRequest {
  const name = options.name ?? 'revenue-model';
  const entity: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations: options.annotations },
    spec: {
      type: 'service',
      owner: 'group:default/data-platform',
      lifecycle: 'production',
    },
  };
  return {
    migration: {
      id: '3f2a9c1e-7b4d-4e21-9a55-0c8d2f6b1a90',
      title: 'Rename orders.amount to amount_usd',
      datasetRef: 'resource:default/orders',
      url: 'https://backstage.example.com/ripple/migrations/3f2a9c1e-7b4d-4e21-9a55-0c8d2f6b1a90',
    },
    consumer: {
      ref: `component:default/${name}`,
      entity,
      owners: options.owners ?? ['group:default/data-platform'],
    },
    patch: {
      id: options.patchId ?? 1,
      diff: options.diff,
      baseHash: 'sha256:0000',
    },
  };
}
