/**
 * `npm run lint:deps`: no import cycles in src/ among the imports that run (a cycle decides which module
 * initialises first, and one of them sees the other half-built). Imports of types alone are left out:
 * they vanish from the compiled JavaScript. Which folder may import which is eslint.config.js's job.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle: split the shared part into a file below both (the layers in eslint.config.js).',
      from: { path: '^src/' },
      // Every edge of the cycle an import that runs (`import type` edges do not close a cycle).
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
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
