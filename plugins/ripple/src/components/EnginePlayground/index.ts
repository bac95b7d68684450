export { EnginePlayground } from './EnginePlayground';
