/**
 * Types and the API client shared by Ripple's frontend and backend plugins.
 *
 * @packageDocumentation
 */
export * from './client';
