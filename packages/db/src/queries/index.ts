export * from './common.ts';
export * from './projects.ts';
export * from './segments.ts';
export * from './workflows.ts';
