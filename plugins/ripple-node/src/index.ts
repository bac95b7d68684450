/**
 * Node library of the Ripple plugin: the extension points through which
 * backend modules add delivery methods and health providers, and the
 * delivery methods Ripple ships.
 *
 * @packageDocumentation
 */

export * from './delivery';
export * from './health';
export * from './extensions';
