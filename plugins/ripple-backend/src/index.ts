/**
 * Ripple's backend plugin.
 *
 * @packageDocumentation
 */
export { ripplePlugin as default } from './plugin';
export { localFileUrlReaderFactory } from './reading';
