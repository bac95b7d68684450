import {
  isResourcePermission,
  isUpdatePermission,
} from '@backstage/plugin-permission-common';
import {
  rippleMigrationCancelPermission,
  rippleMigrationCreatePermission,
  ripplePatchReviewPermission,
  ripplePermissions,
} from './permissions';

describe('permissions', () => {
  it('are named as the docs and policies name them', () => {
    expect(ripplePermissions.map(p => p.name)).toEqual([
      'ripple.migration.create',
      'ripple.migration.cancel',
      'ripple.patch.review',
      'ripple.rollout.manage',
    ]);
  });

  it('makes reviewing a patch a permission on the consumer catalog entity', () => {
    expect(
      isResourcePermission(ripplePatchReviewPermission, 'catalog-entity'),
    ).toBe(true);
    expect(isUpdatePermission(ripplePatchReviewPermission)).toBe(true);
    expect(rippleMigrationCreatePermission).toMatchObject({
      type: 'basic',
      attributes: { action: 'create' },
    });
    expect(rippleMigrationCancelPermission).toMatchObject({
      type: 'basic',
      attributes: { action: 'update' },
    });
  });
});
