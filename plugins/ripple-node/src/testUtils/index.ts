/**
 * Test utilities for Ripple's delivery methods: real git repositories to
 * deliver to.
 *
 * @packageDocumentation
 */

export { TestGitRepository } from './TestGitRepository';
