//

export * from '../models/Dialect.model';
export * from '../models/ErrorError.model';
export * from '../models/GetEngine200Response.model';
export * from '../models/Location.model';
export * from '../models/ModelError.model';
export * from '../models/PostEngineTables200Response.model';
export * from '../models/PostEngineTablesRequest.model';
export * from '../models/StatementTables.model';
