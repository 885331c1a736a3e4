export { buildApp } from './app.ts';
export type { AppDeps, ProjectFileStore, RoutePlugin, RoutePluginOptions } from './deps.ts';
export { errorResponses, IdParams, NoContent } from './http.ts';
export { toHttpError, validationProblems } from './errors.ts';
