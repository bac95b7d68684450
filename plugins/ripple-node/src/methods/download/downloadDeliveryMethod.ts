import type { DiscoveryService } from '@backstage/backend-plugin-api';
import type {
  Delivery,
  DeliveryReadiness,
  DeliveryRequest,
  RippleDeliveryMethod,
} from '../../delivery';

/** Options of {@link createDownloadDeliveryMethod}. @public */
export interface DownloadDeliveryMethodOptions {
  /** Finds the Ripple backend's external URL, where the patch is downloaded from. */
  discovery: Pick<DiscoveryService, 'getExternalBaseUrl'>;
}

/**
 * Delivers a patch as a download (a unified diff from
 * `GET /api/ripple/migrations/{id}/consumers/{consumerRef}/patch/download`)
 * for teams that apply patches by hand (`git apply`). Ripple cannot see
 * where such a patch went: a delivery stays `delivered` until the rollout
 * marks it otherwise, and a revert only records that the team must apply the
 * patch in reverse.
 *
 * @public
 */
export function createDownloadDeliveryMethod(
  options: DownloadDeliveryMethodOptions,
): RippleDeliveryMethod {
  const downloadUrl = async (request: DeliveryRequest) => {
    const base = await options.discovery.getExternalBaseUrl('ripple');
    return `${base}/migrations/${encodeURIComponent(
      request.migration.id,
    )}/consumers/${encodeURIComponent(request.consumer.ref)}/patch/download`;
  };

  return {
    id: 'download',
    supports: () => true,
    async deliver(request): Promise<Delivery> {
      return {
        method: 'download',
        status: 'delivered',
        url: await downloadUrl(request),
        message: 'Download the patch and apply it with `git apply`',
      };
    },
    async sync(_request, delivery) {
      return delivery;
    },
    async revert(request, delivery): Promise<Delivery> {
      if (delivery.status === 'reverted') {
        return delivery;
      }
      return {
        ...delivery,
        method: 'download',
        status: 'reverted',
        url: await downloadUrl(request),
        message:
          delivery.status === 'merged'
            ? 'Rolled back: apply the patch in reverse (`git apply -R`)'
            : 'Rolled back: do not apply the patch',
      };
    },
    async checkReady(): Promise<DeliveryReadiness> {
      // Whoever applies it by hand sees whether it applies.
      return { ready: true };
    },
  };
}
