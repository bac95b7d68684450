import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { scaffolderTemplatingExtensionPoint } from '@backstage/plugin-scaffolder-node/alpha';
import {
  createRippleAnalyzeAction,
  createRippleCompatViewAction,
  createRipplePlanAction,
  createRippleRewriteAction,
} from './actions';
import { rippleCodeLocationFilter } from './filters';

/**
 * Ripple's scaffolder actions (`ripple:analyze`, `ripple:rewrite`,
 * `ripple:plan`, and `ripple:compat-view`, deprecated for `ripple:plan`) and
 * the `rippleCodeLocation` template filter.
 *
 * @public
 */
export const scaffolderModuleRipple = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'ripple',
  register({ registerInit }) {
    registerInit({
      deps: {
        actions: scaffolderActionsExtensionPoint,
        templating: scaffolderTemplatingExtensionPoint,
      },
      async init({ actions, templating }) {
        actions.addActions(
          createRippleAnalyzeAction(),
          createRippleRewriteAction(),
          createRipplePlanAction(),
          createRippleCompatViewAction(),
        );
        templating.addTemplateFilters([rippleCodeLocationFilter]);
      },
    });
  },
});
