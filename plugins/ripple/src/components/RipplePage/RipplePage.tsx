import { Route, Routes } from 'react-router-dom';
import { FleetDashboard } from '../FleetDashboard';
import { MigrationPage } from '../MigrationPage';
import { EngineCanaryPage } from '../EngineCanaryPage';

/**
 * Ripple's page: the fleet dashboard at its root, a migration's page below
 * it (`migrations/:id`, the `migrationRouteRef`), and the engine canary's
 * page (`engine`, the `engineRouteRef`).
 */
export function RipplePage() {
  return (
    <Routes>
      <Route path="/" element={<FleetDashboard />} />
      <Route path="/migrations/:id" element={<MigrationPage />} />
      <Route path="/engine" element={<EngineCanaryPage />} />
    </Routes>
  );
}
