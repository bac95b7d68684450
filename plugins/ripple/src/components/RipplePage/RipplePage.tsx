import { Route, Routes } from 'react-router-dom';
import { FleetDashboard } from '../FleetDashboard';
import { MigrationPage } from '../MigrationPage';

/**
 * Ripple's page: the fleet dashboard at its root, a migration's page below
 * it (`migrations/:id`, the `migrationRouteRef`).
 */
export function RipplePage() {
  return (
    <Routes>
      <Route path="/" element={<FleetDashboard />} />
      <Route path="/migrations/:id" element={<MigrationPage />} />
    </Routes>
  );
}
