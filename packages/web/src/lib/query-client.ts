import { QueryClient } from '@tanstack/react-query';
import { isApiError } from './api-client.ts';

/** Defaults: no retry of answers that will not change (4xx); live data comes from the event stream. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (failureCount, error) => {
          if (isApiError(error) && error.status >= 400 && error.status < 500) return false;
          return failureCount < 2;
        },
      },
      mutations: { retry: false },
    },
  });
}
