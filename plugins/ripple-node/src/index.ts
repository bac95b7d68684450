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
export { TransientDeliveryError, parseRetryAfter } from './transient';
export {
  createDownloadDeliveryMethod,
  type DownloadDeliveryMethodOptions,
} from './methods/download/downloadDeliveryMethod';
export {
  createGitBranchDeliveryMethod,
  type GitBranchDeliveryMethodOptions,
} from './methods/git/gitBranchDeliveryMethod';
export {
  ANNOTATION_GIT_REPOSITORY,
  ANNOTATION_GIT_BASE_BRANCH,
  ANNOTATION_GIT_DIRECTORY,
} from './methods/git/gitTarget';
export type { GitCredentials } from './methods/git/MirrorRepository';
export {
  createGitHubPullRequestDeliveryMethod,
  type GitHubPullRequestDeliveryMethodOptions,
} from './methods/github/githubPullRequestDeliveryMethod';
export {
  createDefaultDeliveryMethods,
  createScmGitCredentials,
} from './methods/defaults';
