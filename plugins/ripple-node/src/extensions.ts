import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { RippleDeliveryMethod } from './delivery';
import type { RippleHealthProvider } from './health';

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
