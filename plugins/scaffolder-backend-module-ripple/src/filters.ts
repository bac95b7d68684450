import type { Entity } from '@backstage/catalog-model';
import { createTemplateFilter } from '@backstage/plugin-scaffolder-node/alpha';
import { codeLocation } from '@ripple/backstage-plugin-ripple-common';

/**
 * `rippleCodeLocation`: where a consumer entity's code is, as Ripple's agent
 * finds it (its `backstage.io/source-location`, or the folder of the local
 * `catalog-info.yaml` it was registered from), ready for `fetch:plain`'s
 * `url`. Empty when the entity says nowhere.
 */
export const rippleCodeLocationFilter = createTemplateFilter({
  id: 'rippleCodeLocation',
  description:
    "The URL of a consumer entity's code (as catalog:fetch outputs the entity), for fetch:plain",
  examples: [
    {
      description: 'Fetch the code of the consumer picked in the form',
      example: `\${{ steps.consumer.output.entity | rippleCodeLocation }}`,
      notes:
        'file: URLs are read only below the folders `backend.reading.allow` lists for `localhost`',
    },
  ],
  schema: z => z.function().args(z.record(z.any())).returns(z.string()),
  filter: entity => codeLocation(entity as unknown as Entity) ?? '',
});
