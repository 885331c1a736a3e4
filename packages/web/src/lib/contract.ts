import type { z } from 'zod';
import { checkContract } from './api-client.ts';

type Schemas = typeof import('@framesmith/core/api-schemas');

/**
 * Checks an answer against a core schema loaded on demand. Fetchers that use this import no zod
 * up front, so a page can start its requests before the schemas (and the page's code) have loaded.
 */
export async function checkContractLater<T>(
  pick: (schemas: Schemas) => z.ZodType<T>,
  data: unknown,
  label: string,
): Promise<T> {
  const schemas = await import('@framesmith/core/api-schemas');
  return checkContract(pick(schemas), data, label);
}
