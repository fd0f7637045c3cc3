// Layer rules (see DESIGN.md "Layers"): imports point downward only,
//   ui → state → worker_api → session → engine → kernels → shaders,
// with src/cli beside the workers (it may use session, engine and kernels; only bin/ starts it),
// and src/server (the Node sync server for shared sessions) below the CLI: it may use session and
// engine types only, and only src/cli starts it.
// Run with `npm run lint:layers`; `npm test` runs it too.

// Each layer, top to bottom, as a path pattern. src/App.svelte and src/main.ts are the UI's entry.
const LAYERS = [
  ['ui', '^src/(ui/|App\\.svelte$|main\\.ts$|app\\.css$)'],
  ['state', '^src/state/'],
  ['worker_api', '^src/worker_api/'],
  ['session', '^src/session/'],
  ['engine', '^src/engine/'],
  ['kernels', '^src/kernels/'],
  ['shaders', '^shaders/'],
];

// One rule per layer: it may not import any layer above it.
const upward = LAYERS.slice(1).map(([name, path], i) => ({
  name: `no-upward-from-${name}`,
  comment: `${name} sits below ${LAYERS.slice(0, i + 1).map(([n]) => n).join(', ')} and may not import from them (DESIGN.md "Layers").`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(0, i + 1).map(([, p]) => p) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'ui-types-only-from-engine-and-worker-api',
      comment:
        'The UI may name types from the engine and the worker API, never run their code: a value it needs is re-exported by a src/state module.',
      severity: 'error',
      from: { path: LAYERS[0][1] },
      to: { path: '^src/(engine|worker_api)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'cli-beside-the-workers',
      comment: 'src/cli may use session, engine and kernels only (not ui, state or worker_api).',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/(ui|state|worker_api)/|^src/(App\\.svelte|main\\.ts)$' },
    },
    {
      name: 'only-bin-starts-the-cli',
      comment:
        'Nothing in the app imports src/cli: bin/ is its entry (tests and scripts are harnesses outside the layers).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'server-uses-session-and-engine-types',
      comment:
        'src/server (the sync server) may import src/session and type-only src/engine, nothing from ui, state, worker_api, cli or kernels (DESIGN.md "Layers").',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/(ui|state|worker_api|cli|kernels)/|^src/(App\\.svelte|main\\.ts)$|^shaders/' },
    },
    {
      name: 'server-engine-types-only',
      comment: 'src/server names engine types but runs no engine code (the engines of the peers reduce the log).',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/engine/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-cli-starts-the-server',
      comment: 'Nothing in src/ imports src/server except src/cli (the serve command); tests are harnesses outside the layers.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|server)/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'no-circular-across-layers',
      comment:
        'A cycle that leaves its folder means two layers each depend on the other. Cycles inside one folder are left alone.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, viaSomeNot: '^src/$1/' },
    },
    {
      name: 'ui-not-to-ort-or-idb',
      comment: 'The UI does not touch ORT or IndexedDB directly (DESIGN.md "Layers"); the state layer and the workers do.',
      severity: 'error',
      from: { path: LAYERS[0][1] },
      to: { path: '^node_modules/(onnxruntime-web|idb)/' },
    },
    {
      name: 'no-svelte-below-state',
      comment: 'session, engine and kernels do not know about Svelte (DESIGN.md "Layers"): they run in workers and in Node.',
      severity: 'error',
      from: { path: '^src/(worker_api|session|engine|kernels|cli)/' },
      to: { path: '^node_modules/svelte/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing (a typo, or a package that is not installed).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      comment: 'Every package imported must be listed in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'app-not-to-dev-dependencies',
      comment: 'Code the app or the CLI ships may not import devDependencies (tests and scripts may).',
      severity: 'error',
      from: { path: '^(src|bin)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: '^node_modules/@types/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are real edges (marked 'type-only') so the rules above can tell them apart.
    // In .svelte files the Svelte compiler strips them first, so there only value imports are seen.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: require('node:path').join(__dirname, 'tsconfig.json') },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      // '.ts' imports are written with or without their extension; '.svelte.ts' modules as '.svelte'.
      extensions: ['.ts', '.js', '.mjs', '.svelte', '.d.ts', '.json'],
    },
    // vite's '?raw' / '?url' suffixes: enhanced-resolve drops the query and resolves the file.
    exclude: { path: '^(dist|tests/artifacts)/' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
