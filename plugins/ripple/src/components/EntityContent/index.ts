export { EntityRippleMigrationsContent } from './EntityRippleMigrationsContent';
