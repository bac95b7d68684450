import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { RippleDeliveryMethod } from './delivery';
import type { RippleHealthProvider } from './health';
import type { RippleWarehouseType } from './warehouse/config';

/**
 * Adds delivery methods to the Ripple backend.
 *
 * @public
 */
export interface RippleDeliveryExtensionPoint {
  addDeliveryMethod(method: RippleDeliveryMethod): void;
}

/**
 * The extension point through which backend modules of the `ripple` plugin
 * add delivery methods.
 *
 * @public
 */
export const rippleDeliveryExtensionPoint =
  createExtensionPoint<RippleDeliveryExtensionPoint>({
    id: 'ripple.delivery',
  });

/**
 * Adds health providers to the Ripple backend.
 *
 * @public
 */
export interface RippleHealthExtensionPoint {
  addHealthProvider(provider: RippleHealthProvider): void;
}

/**
 * The extension point through which backend modules of the `ripple` plugin
 * add sources of consumers' health signals.
 *
 * @public
 */
export const rippleHealthExtensionPoint =
  createExtensionPoint<RippleHealthExtensionPoint>({
    id: 'ripple.health',
  });

/**
 * Adds warehouse types (how to connect to a kind of warehouse) to the
 * Ripple backend, beside the DuckDB and PostgreSQL it ships.
 *
 * @public
 */
export interface RippleWarehouseExtensionPoint {
  addWarehouseType(type: RippleWarehouseType): void;
}

/**
 * The extension point through which backend modules of the `ripple` plugin
 * add warehouse types, which `ripple.warehouses` entries then name.
 *
 * @public
 */
export const rippleWarehouseExtensionPoint =
  createExtensionPoint<RippleWarehouseExtensionPoint>({
    id: 'ripple.warehouse',
  });
