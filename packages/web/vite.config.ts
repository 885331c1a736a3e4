import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Dev: `npm run dev -w packages/web` serves on 5173 and forwards /api to the API server.
 * Build: `npm run build:web` writes dist/, which the API server serves at / with an SPA fallback.
 */
export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { '/api': { target: 'http://localhost:8000', changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The initial chunk is measured in the closing note; routes below the fold are lazy chunks.
    chunkSizeWarningLimit: 400,
  },
});
