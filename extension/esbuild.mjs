// Bundles the extension (Node, CommonJS), the chat webview script (browser IIFE) and,
// with --tests, the unit tests (Node ESM-free CommonJS, dependencies left external).
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const tests = args.has('--tests');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
  target: 'es2022',
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: { webview: 'src/webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    loader: { '.css': 'css' },
  },
];

if (tests) {
  rmSync('out/test', { recursive: true, force: true });
  const entries = readdirSync('test')
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join('test', f));
  builds.length = 0;
  builds.push({
    ...common,
    sourcemap: 'inline',
    entryPoints: entries,
    outdir: 'out/test',
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
