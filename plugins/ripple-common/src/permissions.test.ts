import {
  isResourcePermission,
  isUpdatePermission,
} from '@backstage/plugin-permission-common';
import {
  rippleHealthReportPermission,
  rippleMigrationCancelPermission,
  rippleMigrationCreatePermission,
  ripplePatchReviewPermission,
  ripplePermissions,
  rippleRolloutManagePermission,
} from './permissions';

describe('permissions', () => {
  it('are named as the docs and policies name them', () => {
    expect(ripplePermissions.map(p => p.name)).toEqual([
      'ripple.migration.create',
      'ripple.migration.cancel',
      'ripple.patch.review',
      'ripple.rollout.manage',
      'ripple.health.report',
    ]);
  });

  it('makes every permission one on a catalog entity (the dataset or the consumer), so a policy can limit it to its owners', () => {
    for (const permission of [
      ripplePatchReviewPermission,
      rippleMigrationCreatePermission,
      rippleMigrationCancelPermission,
      rippleRolloutManagePermission,
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
  });
});
