/**
 * Import boundaries of packages/transport/src, checked by `npm run lint` (scripts/check-imports.mjs).
 * Type-only imports count: a cycle through types is a cycle in the design. The folder-level rule
 * (no cycle between top-level folders of src/) is checked by the script over this cruise's result.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A file may not reach itself through its imports (type-only imports included). ' +
        'Move the shared piece to the folder that owns it or to a types file both can import.',
      from: { path: '^packages/transport/src/' },
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: '^packages/transport/src/',
    exclude: { path: ['\\.spec\\.ts$', '/__fixtures__/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
