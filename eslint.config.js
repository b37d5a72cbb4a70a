import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/*
 * The layers of src/, top to bottom. A file may import its own folder or a layer below it, never a
 * layer above it nor a neighbour on its own line: no-restricted-imports fails such an import with the
 * message of layerRules() below (static imports and re-exports; the few dynamic `import()`s, in
 * app.ts, cli/ and db/, are not checked). `npm run lint:deps` (.dependency-cruiser.cjs) finds import
 * cycles. A name without `.ts` is a folder; `config` is src/config.ts with src/config/.
 */
const LAYERS = [
  ['main.ts', 'app.ts', 'cli.ts', 'cli'],
  ['commands'],
  ['schedule', 'check'],
  ['run'],
  ['observability'],
  ['extract'],
  ['reporting'],
  ['load'],
  ['cxone', 'tenants'],
  ['db'],
  ['config', 'logger.ts'],
  ['entities'],
  ['lib'],
];
/** The simulator stands apart: it imports entities/ and lib/ only, and only these import it. */
const SIMULATOR_IMPORTERS = ['src/app.ts', 'src/commands/sim.ts', 'src/commands/demo.ts'];
const SIMULATOR_IMPORTS = ['entities', 'lib'];

const ALL_MODULES = LAYERS.flat();
const layerOf = (module) => LAYERS.findIndex((layer) => layer.includes(module));
const label = (module) =>
  module === 'config'
    ? 'src/config.ts and src/config/'
    : module.endsWith('.ts')
      ? `src/${module}`
      : `src/${module}/`;
const moduleName = (module) => module.replace(/\.ts$/, '');

/** An import specifier, relative to a file `depth` folders below src/, that reaches `module`. */
function reaches(module, depth) {
  const up = depth === 0 ? '\\./' : `(\\.\\./){${depth}}`;
  const tail = module.endsWith('.ts') ? '\\.js$' : '(/|\\.js$)';
  return `^${up}${moduleName(module)}${tail}`;
}

function restriction(from, to, depth, why) {
  return {
    regex: reaches(to, depth),
    message: `${label(from)} may not import ${label(to)}: ${why} (the layers in eslint.config.js).`,
  };
}

/** What a file of `module`, `depth` folders below src/, may not import. */
function forbiddenFor(module, depth, { allowSimulator = false } = {}) {
  const own = layerOf(module);
  const patterns = [];
  if (module === 'simulator') {
    for (const to of ALL_MODULES.filter((m) => !SIMULATOR_IMPORTS.includes(m)))
      patterns.push(restriction(module, to, depth, 'the simulator imports only src/entities/ and src/lib/'));
    return patterns;
  }
  for (const to of ALL_MODULES) {
    const layer = layerOf(to);
    if (to === module || layer > own) continue;
    const why = layer === own ? 'a neighbour on the same layer' : 'a layer above it';
    patterns.push(restriction(module, to, depth, why));
  }
  if (!allowSimulator)
    patterns.push(
      restriction(module, 'simulator', depth, 'only app.ts, commands/sim.ts and demo.ts start it'),
    );
  return patterns;
}

function layerRules() {
  const configs = [];
  const rule = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
  for (const module of [...ALL_MODULES, 'simulator']) {
    if (layerOf(module) === 0) continue;
    if (module.endsWith('.ts')) {
      configs.push({ files: [`src/${module}`], rules: rule(forbiddenFor(module, 0)) });
      continue;
    }
    for (const depth of [1, 2, 3]) {
      const files = [`src/${module}/${'*/'.repeat(depth - 1)}*.ts`];
      configs.push({ files, rules: rule(forbiddenFor(module, depth)) });
    }
  }
  const starters = SIMULATOR_IMPORTERS.filter((f) => f.startsWith('src/commands/'));
  configs.push({ files: starters, rules: rule(forbiddenFor('commands', 1, { allowSimulator: true })) });
  return configs;
}

export default tseslint.config(
  { ignores: ['dist/**', 'dist-sim/**', 'node_modules/**', 'coverage/**', '.cxone-etl/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Only src/main.ts reads process.env: everything else receives config.',
        },
      ],
    },
  },
  {
    files: ['src/main.ts', 'test/**', 'bench/**', '*.js', 'bin/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  ...layerRules(),
);
