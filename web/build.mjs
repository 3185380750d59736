// Builds the staff page into dist/: one bundle (app.js + app.css) and index.html.
//   node build.mjs            production build (minified, with a source map)
//   node build.mjs --watch    rebuild on change (development)
import { build, context } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';

const watch = process.argv.includes('--watch');
const options = {
  entryPoints: { app: 'src/main.tsx' },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  splitting: true, // cytoscape is loaded on first use, in a chunk of its own
  chunkNames: 'chunks/[name]-[hash]',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !watch,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

await rm('dist', { recursive: true, force: true });
await mkdir('dist', { recursive: true });
await copyFile('src/index.html', 'dist/index.html');
if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log('watching src/ (dist/ is rebuilt on change)');
} else {
  await build(options);
}
