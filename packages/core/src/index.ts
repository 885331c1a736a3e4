export * from './error-taxonomy.ts';
export * from './app-error.ts';
export * from './status.ts';
export * from './workflow-graph.ts';
export * from './builtin-workflows.ts';
export * from './api-schemas.ts';
export * from './config.ts';
