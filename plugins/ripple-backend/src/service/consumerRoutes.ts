import { ripplePatchReviewPermission } from '@ripple/backstage-plugin-ripple-common';
import { entityRefField, page } from './params';
import type { ApiRouter, RouteContext } from './routeContext';

/** A migration's consumers, their patches and the owners' reviews. */
export function addConsumerRoutes(
  router: ApiRouter,
  context: RouteContext,
): void {
  const {
    migrations,
    consumers,
    validation,
    rollout,
    httpAuth,
    audited,
    authorize,
  } = context;

  router.get('/migrations/:id/consumers', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    // The spec's validator has checked each kind against PatchReasonKind,
    // and each validation status against its list.
    const { reasonKind, validationStatus } = req.query;
    const listed = await consumers.list(
      req.params.id,
      page(req.query),
      credentials,
      { reasonKinds: reasonKind, validationStatuses: validationStatus },
    );
    // A consumer is of a migration that exists; only an empty page may be
    // of none, so only then is that asked (one query less per page).
    if (!listed.items.length) await migrations.requireExists(req.params.id);
    res.json(listed);
  });

  router.get('/migrations/:id/consumers/:consumerRef', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
    const migration = await migrations.require(req.params.id);
    res.json(await consumers.get(migration, consumerRef, credentials));
  });

  router.get(
    '/migrations/:id/consumers/:consumerRef/patch',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const migration = await migrations.require(req.params.id);
      res.json(await consumers.patch(migration, consumerRef, credentials));
    },
  );

  router.post(
    '/migrations/:id/consumers/:consumerRef/review',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const { id } = req.params;
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const { decision, patchId, previousReviewId, comment } = req.body;
      const review = await audited(
        req,
        'patch-review',
        { migrationId: id, consumerRef, patchId, decision },
        async () => {
          // On the consumer's entity: the policy may answer with the
          // catalog's conditions (isEntityOwner).
          await authorize(
            credentials,
            ripplePatchReviewPermission,
            consumerRef,
            'review the patches of',
          );
          return migrations.review({
            migrationId: id,
            consumerRef,
            patchId,
            previousReviewId,
            decision,
            reviewer: credentials.principal.userEntityRef,
            comment,
            // The started rollout's plan, else the config's default: an
            // approval of a patch whose validation did not pass is then
            // refused (409), and audited as this review's failure.
            requireValidation:
              decision === 'approve' && (await rollout.requiresValidation(id)),
          });
        },
      );
      res.status(201).json(review);
    },
  );

  router.post(
    '/migrations/:id/consumers/:consumerRef/validation',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const requested = await audited(
        req,
        'patch-validation-request',
        { migrationId: req.params.id, consumerRef },
        async () => {
          const migration = await migrations.require(req.params.id);
          // A 404 for a consumer that is not there (or hidden), then the
          // review permission on its entity, as a review.
          await consumers.get(migration, consumerRef, credentials);
          await authorize(
            credentials,
            ripplePatchReviewPermission,
            consumerRef,
            'validate the patches of',
          );
          return validation.request(
            migration,
            consumerRef,
            credentials.principal.userEntityRef,
          );
        },
      );
      res.status(202).json(requested);
    },
  );

  router.post(
    '/migrations/:id/consumers/:consumerRef/merged',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const merged = await audited(
        req,
        'delivery-merged',
        { migrationId: req.params.id, consumerRef },
        async () => {
          const migration = await migrations.require(req.params.id);
          await consumers.get(migration, consumerRef, credentials);
          // Its owners merge it: the review permission on its entity.
          await authorize(
            credentials,
            ripplePatchReviewPermission,
            consumerRef,
            'mark merged the patches of',
          );
          await rollout.markMerged(
            migration.id,
            consumerRef,
            credentials.principal.userEntityRef,
          );
          return consumers.get(migration, consumerRef, credentials);
        },
      );
      res.json(merged);
    },
  );
}
