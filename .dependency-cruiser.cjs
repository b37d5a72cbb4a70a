/**
 * `npm run lint:deps`: no import cycles in src/, type-only imports included. A cycle of imports that
 * run decides which module initialises first, and one of them sees the other half-built; a cycle of
 * `import type` vanishes from the compiled JavaScript but still says two files share a concern that
 * belongs in a file below both. Which folder may import which is eslint.config.js's job.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle: split the shared part into a file below both (the layers in eslint.config.js).',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
  },
};
