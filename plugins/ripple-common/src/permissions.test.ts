import {
  AuthorizeResult,
  isResourcePermission,
  isUpdatePermission,
} from '@backstage/plugin-permission-common';
import {
  rippleEngineAcceptPermission,
  rippleIndexRefreshPermission,
  rippleHealthReportPermission,
  rippleMigrationCancelPermission,
  rippleOwnershipDecision,
  rippleMigrationCreatePermission,
  ripplePatchReviewPermission,
  ripplePermissions,
  rippleRolloutManagePermission,
  rippleStepRunPermission,
} from './permissions';

describe('permissions', () => {
  it('are named as the docs and policies name them', () => {
    expect(ripplePermissions.map(p => p.name)).toEqual([
      'ripple.migration.create',
      'ripple.migration.cancel',
      'ripple.patch.review',
      'ripple.rollout.manage',
      'ripple.step.run',
      'ripple.health.report',
      'ripple.engine.accept',
      'ripple.index.refresh',
    ]);
  });

  it('lets only administrators refresh the consumer index', () => {
    expect(rippleIndexRefreshPermission.type).toBe('basic');
    expect(
      rippleOwnershipDecision(rippleIndexRefreshPermission, [
        'group:default/ripple-admins',
      ]),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      rippleOwnershipDecision(rippleIndexRefreshPermission, [
        'group:default/data-platform',
      ]),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('lets only administrators accept an engine version: a basic permission no entity owner gets', () => {
    expect(rippleEngineAcceptPermission.type).toBe('basic');
    expect(
      rippleOwnershipDecision(rippleEngineAcceptPermission, [
        'user:default/ada',
        'group:default/Ripple-Admins',
      ]),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      rippleOwnershipDecision(rippleEngineAcceptPermission, [
        'group:default/data-platform',
      ]),
    ).toEqual({ result: AuthorizeResult.DENY });
    // A service has no claims: it is no administrator.
    expect(
      rippleOwnershipDecision(rippleEngineAcceptPermission, undefined),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      rippleOwnershipDecision(
        rippleEngineAcceptPermission,
        ['group:default/sre'],
        ['group:default/sre'],
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('makes every permission one on a catalog entity (the dataset or the consumer), so a policy can limit it to its owners', () => {
    for (const permission of [
      ripplePatchReviewPermission,
      rippleMigrationCreatePermission,
      rippleMigrationCancelPermission,
      rippleRolloutManagePermission,
      rippleStepRunPermission,
      rippleHealthReportPermission,
    ]) {
      expect(isResourcePermission(permission, 'catalog-entity')).toBe(true);
    }
    expect(isUpdatePermission(ripplePatchReviewPermission)).toBe(true);
    expect(rippleMigrationCreatePermission).toMatchObject({
      type: 'resource',
      attributes: { action: 'create' },
    });
    expect(rippleMigrationCancelPermission).toMatchObject({
      type: 'resource',
      attributes: { action: 'update' },
    });
    // Running a dataset's steps changes its warehouse: an update of it.
    expect(isUpdatePermission(rippleStepRunPermission)).toBe(true);
  });
});
