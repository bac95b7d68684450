export { createRippleAnalyzeAction } from './analyze';
export { createRippleCompatViewAction } from './compatView';
export { createRippleRewriteAction } from './rewrite';
