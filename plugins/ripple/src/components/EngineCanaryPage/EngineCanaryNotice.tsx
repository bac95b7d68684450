import { Alert, Link } from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { rippleApiRef } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { engineRouteRef } from '../../routes';
import { rippleTranslationRef } from '../../translation';

/**
 * On the fleet dashboard, while a new engine version is sampled or awaits
 * a decision: a line saying so, linking to its page. Nothing otherwise,
 * nor when the status cannot be read (the dashboard is not about it).
 */
export function EngineCanaryNotice() {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const engineLink = useRouteRef(engineRouteRef);
  const status = useLoad(() => rippleApi.getEngineCanary(), [rippleApi], {
    refreshMs: 30000,
  });
  const canary = status.value?.canary;
  if (
    !canary ||
    (canary.state !== 'sampling' && canary.state !== 'awaiting_decision')
  ) {
    return null;
  }
  return (
    <Alert
      status="info"
      icon
      title={t(`engineCanary.notice.${canary.state}`, {
        version: canary.engineVersion,
      })}
      customActions={
        <Link href={engineLink()}>{t('engineCanary.notice.link')}</Link>
      }
    />
  );
}
