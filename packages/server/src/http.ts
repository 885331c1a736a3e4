import { z } from 'zod';
import { ApiErrorBody, IdParams } from '@framesmith/core';

/** Shared pieces of route schemas, for core routes and teammates' plugins alike. */

export { IdParams };

/** Error responses a route can give, for the OpenAPI document. */
export const errorResponses = {
  400: ApiErrorBody.describe('Invalid input; the message and details name the field'),
  404: ApiErrorBody.describe('Unknown id (malformed ids included)'),
  409: ApiErrorBody.describe('The resource is in a state that does not allow this'),
  413: ApiErrorBody.describe('The body is over the size limit'),
} as const;

export const NoContent = z.undefined().describe('Done; no body');
