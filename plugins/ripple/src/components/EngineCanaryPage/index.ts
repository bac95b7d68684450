export { EngineCanaryPage } from './EngineCanaryPage';
export { EngineCanaryNotice } from './EngineCanaryNotice';
