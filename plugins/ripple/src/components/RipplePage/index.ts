export { RipplePage } from './RipplePage';
