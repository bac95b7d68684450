export { createRippleAnalyzeAction } from './analyze';
export { createRippleCompatViewAction } from './compatView';
export { createRipplePlanAction } from './plan';
export { createRippleRewriteAction } from './rewrite';
