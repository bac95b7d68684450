import { createApiRef } from '@backstage/core-plugin-api';
import type { RippleApi } from '@ripple/backstage-plugin-ripple-common';

/**
 * The {@link @ripple/backstage-plugin-ripple-common#RippleApi} of the app.
 *
 * @public
 */
export const rippleApiRef = createApiRef<RippleApi>({ id: 'plugin.ripple' });
