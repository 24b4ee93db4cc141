/** Import rules for src/ (npm test runs test/architecture.test.ts, which also checks cycles between the top-level parts). */
export default {
  forbidden: [
    {
      name: 'no-circular',
      // Between the parts of src/ (top-level folders) test/architecture.test.ts fails on any cycle;
      // between files of one part a cycle is a warning (interaction/ has some until its rewrite).
      severity: 'warn',
      comment: 'Modules must not import each other in a cycle, type imports included.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // Type-only imports count: a cycle through types still ties the parts together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test|bench)/' },
  },
};
