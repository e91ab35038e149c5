// Builds the web UI into dist/, which the server serves at `/`. JSX is Preact's (no React, no Babel):
// the TypeScript transform reads jsxImportSource from tsconfig.json.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 200,
  },
  server: {
    // `npm run dev -w @agentmon/dashboard` with a server on :8080 (AGENTMON_URL to change it).
    proxy: { '/api': { target: process.env.AGENTMON_URL ?? 'http://127.0.0.1:8080', changeOrigin: true } },
  },
});
