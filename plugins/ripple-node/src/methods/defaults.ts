import type {
  DiscoveryService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import type { RippleDeliveryMethod } from '../delivery';
import { createDownloadDeliveryMethod } from './download/downloadDeliveryMethod';
import { createGitBranchDeliveryMethod } from './git/gitBranchDeliveryMethod';
import type { GitCredentials } from './git/MirrorRepository';
import { createGitHubPullRequestDeliveryMethod } from './github/githubPullRequestDeliveryMethod';

/**
 * Credentials for git over HTTPS (never http://) from Backstage's SCM integrations: GitHub
 * (a GitHub App installation or a token, through
 * `DefaultGithubCredentialsProvider`) and GitLab tokens.
 *
 * @public
 */
export function createScmGitCredentials(
  integrations: ScmIntegrations,
): (url: string) => Promise<GitCredentials | undefined> {
  const github =
    DefaultGithubCredentialsProvider.fromIntegrations(integrations);
  return async url => {
    // Never over http://: the token would travel in clear text (git is not
    // allowed the http transport either, see runGit.ts).
    if (!url.startsWith('https://')) {
      return undefined;
    }
    if (integrations.github.byUrl(url)) {
      const { token } = await github.getCredentials({ url });
      return token
        ? { username: 'x-access-token', password: token }
        : undefined;
    }
    const token = integrations.gitlab.byUrl(url)?.config.token;
    return token ? { username: 'oauth2', password: token } : undefined;
  };
}

/**
 * The delivery methods Ripple ships, configured from `ripple.delivery` and
 * `integrations`: `download`, `git-branch` and `github-pull-request`. The
 * Ripple backend registers them next to those added through
 * `rippleDeliveryExtensionPoint`.
 *
 * @public
 */
export function createDefaultDeliveryMethods(options: {
  config: RootConfigService;
  discovery: Pick<DiscoveryService, 'getExternalBaseUrl'>;
}): RippleDeliveryMethod[] {
  const { config, discovery } = options;
  const integrations = ScmIntegrations.fromConfig(config);
  const gitBranch = config.getOptionalConfig('ripple.delivery.gitBranch');
  const author = gitBranch?.getOptionalConfig('author');
  return [
    createDownloadDeliveryMethod({ discovery }),
    createGitBranchDeliveryMethod({
      localRoots: gitBranch?.getOptionalStringArray('localRoots'),
      author: author && {
        name: author.getString('name'),
        email: author.getString('email'),
      },
      workDir: gitBranch?.getOptionalString('workDir'),
      credentials: createScmGitCredentials(integrations),
    }),
    createGitHubPullRequestDeliveryMethod({
      integrations,
      draft: config.getOptionalBoolean(
        'ripple.delivery.githubPullRequest.draft',
      ),
    }),
  ];
}
