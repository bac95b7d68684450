export { MigrationPage, MigrationView } from './MigrationPage';
