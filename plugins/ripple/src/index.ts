/**
 * Ripple's frontend plugin. This entry point is for Backstage's legacy
 * frontend system; the new frontend system imports `/alpha`.
 *
 * @packageDocumentation
 */
export {
  ripplePlugin,
  RipplePage,
  EntityRippleMigrationsContent,
} from './plugin';
export { rippleApiRef } from './api';
export { rippleTranslationRef } from './translation';
export { isRippleDataset, isRippleEntity } from './entities';
