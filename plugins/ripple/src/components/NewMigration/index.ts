export { NewMigration } from './NewMigration';
