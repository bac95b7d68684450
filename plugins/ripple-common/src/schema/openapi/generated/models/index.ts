//

export * from '../models/Consumer.model';
export * from '../models/ConsumerDiscovery.model';
export * from '../models/Dialect.model';
export * from '../models/ErrorError.model';
export * from '../models/GetEngine200Response.model';
export * from '../models/Impact.model';
export * from '../models/ImpactFile.model';
export * from '../models/Location.model';
export * from '../models/Migration.model';
export * from '../models/MigrationEvent.model';
export * from '../models/MigrationEventType.model';
export * from '../models/MigrationState.model';
export * from '../models/ModelError.model';
export * from '../models/Patch.model';
export * from '../models/PatchReason.model';
export * from '../models/PatchStatus.model';
export * from '../models/PatchSummary.model';
export * from '../models/PostEngineTables200Response.model';
export * from '../models/PostEngineTablesRequest.model';
export * from '../models/Review.model';
export * from '../models/ReviewDecision.model';
export * from '../models/StatementTables.model';
