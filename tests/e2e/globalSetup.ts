import fs from 'node:fs';
import path from 'node:path';

// Each run starts from an empty database (see app-config.e2e.yaml).
export default function globalSetup() {
  if (!process.env.CI) return; // a reused local portal keeps its data
  fs.rmSync(path.resolve(__dirname, '../../.ripple/e2e'), { recursive: true, force: true });
}
