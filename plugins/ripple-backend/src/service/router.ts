import express from 'express';
import { createOpenApiRouter } from '../schema/openapi';
import { createAccess } from './access';
import { jsonBody } from './bodyLimit';
import { addConsumerRoutes } from './consumerRoutes';
import { addDeadlineRoutes } from './deadlineRoutes';
import { addDatasetRoutes } from './datasetRoutes';
import { addLineageRoutes } from './lineageRoutes';
import { addDraftRoutes } from './draftRoutes';
import { addEngineRoutes } from './engineRoutes';
import { addIndexRoutes } from './indexRoutes';
import { addMigrationRoutes } from './migrationRoutes';
import { entityRefField } from './params';
import { addRolloutRoutes } from './rolloutRoutes';
import { addStepRoutes } from './stepRoutes';
import type { RouterOptions } from './routeContext';
import { unknownBodyFields } from './unknownFields';

export type { RouterOptions } from './routeContext';

/**
 * The plugin's HTTP API (src/schema/openapi.yaml). The routes authorize,
 * audit and map requests and answers; the services decide.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  // Requests are validated against src/schema/openapi.yaml before they reach
  // a handler; a malformed one gets a 400 naming the offending field.
  const router = await createOpenApiRouter();
  const context = { ...options, ...createAccess(options) };
  addDatasetRoutes(router, context);
  addMigrationRoutes(router, context);
  addDraftRoutes(router, context);
  addConsumerRoutes(router, context);
  addDeadlineRoutes(router, context);
  addRolloutRoutes(router, { ...context, entityRefField });
  addStepRoutes(router, context);
  addLineageRoutes(router, context);
  addEngineRoutes(router, context);
  addIndexRoutes(router, context);

  const root = express.Router();
  // Parsed here, with the limit the spec allows, before the generated
  // router's own parser (which then leaves the parsed body alone).
  root.use(jsonBody());
  root.use(unknownBodyFields());
  root.use(router);
  return root;
}
