/**
 * The browser page (web/): `npm run web:dev` serves it, `npm run web:build` writes dist/web/.
 * Both servers send COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer for wasm threads).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { corpusPlugin, ISOLATION_HEADERS, kernelsPlugin } from './web/corpus-plugin.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** The oracle corpus the page shows; LCE_FIXTURES points it at another copy. */
const fixtures = process.env.LCE_FIXTURES ?? here('./test/fixtures');

export default defineConfig({
  root: here('./web'),
  base: './',
  publicDir: false,
  plugins: [corpusPlugin(fixtures), kernelsPlugin(here('./build'))],
  server: { headers: { ...ISOLATION_HEADERS }, host: '127.0.0.1', fs: { allow: [here('.')] } },
  preview: { headers: { ...ISOLATION_HEADERS }, host: '127.0.0.1' },
  build: {
    outDir: here('./dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    // The .tflite files are big binary assets; the warning is about JS chunks.
    chunkSizeWarningLimit: 2048,
  },
});
