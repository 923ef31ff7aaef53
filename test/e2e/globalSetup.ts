/**
 * Serves the production build (dist/, made by `vite build` before this runs) on a free loopback
 * port for the e2e tests, and hands its URL to them in FTLE_BASE_URL.
 */
import { preview, type PreviewServer } from 'vite';
import { existsSync } from 'node:fs';

let server: PreviewServer | undefined;

export async function setup(): Promise<void> {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `vite build` before the e2e tests');
  server = await preview({ preview: { port: 0, host: '127.0.0.1', strictPort: false, open: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  // Test files run in forked workers started after this, so they inherit the variable.
  process.env.FTLE_BASE_URL = url;
}

export async function teardown(): Promise<void> {
  await server?.close();
}
