export { FleetDashboard } from './FleetDashboard';
