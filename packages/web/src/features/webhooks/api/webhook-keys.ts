/** This feature's cache entries (nothing outside it reads them). */
export const webhookKeys = {
  all: () => ['webhooks'] as const,
  deliveries: (webhookId: string) => ['webhooks', webhookId, 'deliveries'] as const,
};
