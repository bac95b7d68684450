/**
 * Test utilities for Ripple's delivery methods: real git repositories to
 * deliver to, and an in-memory GitHub behind its documented REST API
 * (served through msw, which the test must install).
 *
 * @packageDocumentation
 */

export { TestGitRepository } from './TestGitRepository';
export { FakeGitHub, type Fault, type RecordedRequest } from './FakeGitHub';
