/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Content-Security-Policy for the production build only (the dev server injects inline scripts for
 * hot reload). Only what the app needs: its own scripts and workers, wasm compilation for the tfjs
 * wasm backend, blob: images for PNG export, and no third-party origin at all.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/**
 * Cross-origin isolation (COOP/COEP) for `npm run dev` and `npm run preview`: makes
 * `crossOriginIsolated` true (SharedArrayBuffer, precise timers). Nothing in the app needs it —
 * the analysis pool and the threaded fast engine move data by postMessage — so the production
 * build works the same on static hosts that send no headers; the threaded trainer reports the
 * flag (ThreadedTrainer.crossOriginIsolated) for the badge. Everything the app loads is
 * same-origin, so require-corp blocks nothing. With isolation tfjs would pick its threaded wasm
 * build; src/model/tfjsBackend.ts keeps WASM_HAS_MULTITHREAD_SUPPORT false (docs/performance.md).
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function cspPlugin(): Plugin {
  return {
    name: 'ftle-lab-csp',
    apply: 'build',
    transformIndexHtml(html) {
      return html.replace(
        '<meta charset="UTF-8" />',
        `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`,
      );
    },
  };
}

// Relative base so the production build works from any folder (file server, static host, e2e).
export default defineConfig({
  base: './',
  plugins: [react(), cspPlugin()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4000,
    // The app, the GPU-engine check pages the browser tests drive (engine-check.html for fused-webgl,
    // webgpu-check.html for fused-webgpu: WebGPU needs 127.0.0.1), and the bench page (the
    // engine-switch e2e test and a GPU machine open it from dist/).
    rolldownOptions: {
      input: {
        index: 'index.html',
        engineCheck: 'engine-check.html',
        webgpuCheck: 'webgpu-check.html',
        gpuAnalysisCheck: 'gpu-analysis-check.html',
        bench: 'bench.html',
      },
    },
  },
  server: { open: true, headers: CROSS_ORIGIN_ISOLATION_HEADERS },
  preview: { headers: CROSS_ORIGIN_ISOLATION_HEADERS },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
