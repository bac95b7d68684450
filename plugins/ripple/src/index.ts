export { ripplePlugin as default } from './plugin';
