import { mockServices } from '@backstage/backend-test-utils';
import { ScmIntegrations } from '@backstage/integration';
import { ConfigReader } from '@backstage/config';
import {
  CONSUMER_FILES,
  deliveryRequest,
  enginePatch,
} from './__testUtils__/requests';
import {
  createDefaultDeliveryMethods,
  createScmGitCredentials,
} from './defaults';
import { TestGitRepository } from '../testUtils';

describe('createDefaultDeliveryMethods', () => {
  it('configures the three methods from ripple.delivery', async () => {
    const repo = await TestGitRepository.create(CONSUMER_FILES);
    try {
      const methods = createDefaultDeliveryMethods({
        config: mockServices.rootConfig({
          data: {
            ripple: {
              delivery: {
                gitBranch: {
                  localRoots: [repo.root],
                  workDir: `${repo.root}/mirrors`,
                  author: {
                    name: 'Data Platform Bot',
                    email: 'bot@example.com',
                  },
                },
              },
            },
          },
        }),
        discovery: mockServices.discovery(),
      });
      expect(methods.map(m => m.id)).toEqual([
        'download',
        'git-branch',
        'github-pull-request',
      ]);
      const request = deliveryRequest({
        annotations: { 'ripple.io/git-repository': repo.remote },
        diff: (await enginePatch()).diff,
      });
      const delivery = await methods[1].deliver(request);
      expect(delivery.status).toBe('delivered');
      expect(
        (
          await repo.gitRemote(
            'log',
            '-1',
            '--format=%an <%ae>',
            delivery.commit!,
          )
        ).trim(),
      ).toBe('Data Platform Bot <bot@example.com>');
    } finally {
      await repo.remove();
    }
  });
});

describe('createScmGitCredentials', () => {
  const credentials = createScmGitCredentials(
    ScmIntegrations.fromConfig(
      new ConfigReader({
        integrations: {
          github: [{ host: 'github.com', token: 'ghp_1' }],
          gitlab: [{ host: 'gitlab.com', token: 'glpat_1' }],
        },
      }),
    ),
  );

  it('takes tokens from the integrations, for HTTPS remotes only', async () => {
    expect(await credentials('https://github.com/acme/revenue')).toEqual({
      username: 'x-access-token',
      password: 'ghp_1',
    });
    expect(await credentials('https://gitlab.com/acme/revenue.git')).toEqual({
      username: 'oauth2',
      password: 'glpat_1',
    });
    expect(
      await credentials('https://git.example.com/acme/revenue.git'),
    ).toBeUndefined();
    expect(await credentials('/srv/git/revenue.git')).toBeUndefined();
    // Never in clear text, even to a host with a token.
    expect(await credentials('http://github.com/acme/revenue')).toBeUndefined();
    expect(
      await credentials('http://gitlab.com/acme/revenue.git'),
    ).toBeUndefined();
  });
});
