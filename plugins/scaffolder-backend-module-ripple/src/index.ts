/**
 * Ripple's scaffolder actions: analyse and rewrite consumer code in a
 * template's workspace, and write a change's step plan as SQL files.
 *
 * @packageDocumentation
 */
export { scaffolderModuleRipple as default } from './module';
export * from './actions';
export { rippleCodeLocationFilter } from './filters';
