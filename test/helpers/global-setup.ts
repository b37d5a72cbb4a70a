import type * as DatabaseServer from './database-server.js';

/**
 * jest loads globalSetup with require() after an swc transform to CommonJS, outside its own module
 * system: moduleNameMapper (`./x.js` → `./x.ts`) does not apply there, so static imports of our
 * sources fail with "Cannot find module". tsx (a dependency) loads the real module graph as ESM.
 * globalTeardown runs in this same process and finds its half through a global.
 */
export default async function globalSetup(): Promise<void> {
  const server = await importTs<typeof DatabaseServer>('./database-server.ts');
  await server.setUpTestDatabases();
  (globalThis as Record<symbol, unknown>)[Symbol.for('cxone-etl.test-db.teardown')] =
    server.tearDownTestDatabases;
}

/**
 * swc turns `import()` into require() here, and tsx's CommonJS entry point cannot register its loader
 * on Node 20 ("Cannot find module …/tsx/dist/esm/api/esm/index.mjs"); a Function body is not
 * transformed, so its import() is Node's own and reaches tsx's ESM entry point.
 */
async function importTs<T>(specifier: string): Promise<T> {
  const nativeImport = new Function('specifier', 'return import(specifier)') as (
    s: string,
  ) => Promise<unknown>;
  const { tsImport } = (await nativeImport('tsx/esm/api')) as typeof import('tsx/esm/api');
  return (await tsImport(specifier, import.meta.url)) as T;
}
