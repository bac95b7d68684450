import { mockServices } from '@backstage/backend-test-utils';
import { deliveryRequest } from '../__testUtils__/requests';
import { createDownloadDeliveryMethod } from './downloadDeliveryMethod';

describe('download delivery', () => {
  const method = createDownloadDeliveryMethod({
    discovery: mockServices.discovery.mock({
      getExternalBaseUrl: async plugin =>
        `https://backstage.example.com/api/${plugin}`,
    }),
  });
  const request = deliveryRequest({ diff: '--- a/x.sql\n+++ b/x.sql\n' });
  const url =
    'https://backstage.example.com/api/ripple/migrations/3f2a9c1e-7b4d-4e21-9a55-0c8d2f6b1a90/consumers/component%3Adefault%2Frevenue-model/patch/download';

  it('supports every consumer and delivers the download URL of the patch', async () => {
    expect(method.supports(request.consumer)).toBe(true);
    const delivery = await method.deliver(request);
    expect(delivery).toEqual({
      method: 'download',
      status: 'delivered',
      url,
      message: 'Download the patch and apply it with `git apply`',
    });
    expect(await method.sync(request, delivery)).toBe(delivery);
    expect(await method.checkReady(request, delivery)).toEqual({ ready: true });
  });

  it('reverts by telling the team what to undo, once', async () => {
    const delivered = await method.deliver(request);
    const reverted = await method.revert(request, delivered);
    expect(reverted).toEqual({
      method: 'download',
      status: 'reverted',
      url,
      message: 'Rolled back: do not apply the patch',
    });
    expect(await method.revert(request, reverted)).toBe(reverted);
    expect(
      (await method.revert(request, { ...delivered, status: 'merged' }))
        .message,
    ).toBe('Rolled back: apply the patch in reverse (`git apply -R`)');
  });
});
