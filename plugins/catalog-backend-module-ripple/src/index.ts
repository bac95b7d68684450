/**
 * The catalog backend module for Ripple: migration states and review
 * decisions as annotations on datasets and consumers, and the dependencies on
 * datasets found in consumers' code as `dependsOn`/`dependencyOf` relations.
 *
 * @packageDocumentation
 */
export { catalogModuleRipple as default } from './module';
export {
  RippleEntitiesProcessor,
  rippleAnnotations,
} from './processor/RippleEntitiesProcessor';
export { RippleSummarySource } from './processor/RippleSummarySource';
