/**
 * Build, dev-server and unit-test configuration for the single-page app.
 *
 * Django serves the built files under /static/ (whitenoise) and `dist/index.html` for every
 * page route, so only the production build uses the /static/ base; the dev server stays at /
 * and forwards API, account and WebSocket traffic to a local Django.
 *
 * The built `index.html` must stay free of inline scripts and styles (and assets free of
 * inlined fonts): the site's Content-Security-Policy allows only files from its own origin.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const django = 'http://127.0.0.1:8000';

export default defineConfig(({ command }) => ({
  base: command === 'build' ? '/static/' : '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Libraries change less often than our code; separate chunks stay cached across deploys.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'router', test: /node_modules[\\/]react-router[\\/]/ },
            { name: 'base-ui', test: /node_modules[\\/]@(base-ui|floating-ui)[\\/]/ },
            // Large and only used by the knowledge graph page, which imports it when it opens.
            { name: 'cytoscape', test: /node_modules[\\/]cytoscape[\\/]/ },
            { name: 'vendor', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': django,
      '/accounts': django,
      '/ws': { target: django, ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['src/testing/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
}));
