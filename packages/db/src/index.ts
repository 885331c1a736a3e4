export * from './schema.ts';
export * from './open-db.ts';
export * from './data-dir-lock.ts';
export * from './serialize.ts';
export * from './queries/index.ts';
