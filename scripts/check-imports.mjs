// Import boundaries of packages/transport/src, run by `npm run lint`. Two checks, both failing the lint:
// - files: the rules in .dependency-cruiser.cjs (no import cycle between files, type-only imports included);
// - folders: no cycle between the top-level folders of src/ (a file at the root of src/ counts as its own
//   folder). dependency-cruiser's rules see files, so the folder graph is drawn here from its result.
// `node scripts/check-imports.mjs --layers` prints the folder graph in layers, for docs/architecture.md.
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const ROOT = 'packages/transport/src/';
const CONFIG = './.dependency-cruiser.cjs';

const options = await extractDepcruiseOptions(CONFIG);
const { output } = await cruise([ROOT], { ...options, validate: true }, undefined, {
  tsConfig: extractTSConfig('tsconfig.json'),
});

let failed = false;
const unresolved = output.modules.flatMap((m) =>
  m.source.startsWith(ROOT) ? m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} → ${d.module}`) : [],
);
if (unresolved.length > 0) {
  // An import the cruise cannot follow would hide its edges from both checks.
  console.error(`imports: cannot resolve, fix the path or the resolver options in ${CONFIG}:\n  ${unresolved.join('\n  ')}`);
  failed = true;
}
if (output.summary.error > 0) {
  console.error((await format(output, { outputType: 'err' })).output);
  failed = true;
}

/** `consuming/consumer-runner.ts` → `consuming`; `constants.ts` → `constants.ts`. */
const folderOf = (path) => path.slice(ROOT.length).split('/')[0];

/** folder → folder it imports → one file edge that shows it. */
const edges = new Map();
for (const m of output.modules) {
  if (!m.source.startsWith(ROOT)) continue;
  const from = folderOf(m.source);
  if (!edges.has(from)) edges.set(from, new Map());
  for (const d of m.dependencies) {
    if (!d.resolved.startsWith(ROOT)) continue;
    const to = folderOf(d.resolved);
    if (to !== from && !edges.get(from).has(to)) edges.get(from).set(to, `${m.source.slice(ROOT.length)} → ${d.resolved.slice(ROOT.length)}`);
  }
}

/** Tarjan's strongly connected components: every component of more than one folder holds a cycle. */
function components(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

for (const component of components(edges).filter((c) => c.length > 1)) {
  failed = true;
  const inside = new Set(component);
  const lines = component.flatMap((from) => [...edges.get(from)].filter(([to]) => inside.has(to)).map(([to, via]) => `  ${from} → ${to}  (${via})`));
  console.error(
    `error no-folder-cycle: the folders ${component.join(', ')} import each other in a cycle. ` +
      `Break one of these edges (move the shared piece to the folder that owns it, or to a types file):\n${lines.join('\n')}`,
  );
}

if (process.argv.includes('--layers') && !failed) {
  // Layer 0 imports no other folder; layer n imports only folders of the layers below it.
  const layer = new Map();
  const depth = (v) => {
    if (!layer.has(v)) layer.set(v, Math.max(-1, ...[...(edges.get(v)?.keys() ?? [])].map(depth)) + 1);
    return layer.get(v);
  };
  [...edges.keys()].forEach(depth);
  const byLayer = [...edges.keys()].sort((a, b) => layer.get(a) - layer.get(b) || a.localeCompare(b));
  for (const v of byLayer) console.log(`${layer.get(v)}\t${v}\t${[...edges.get(v).keys()].sort().join(', ')}`);
}

if (failed) process.exit(1);
console.error(`imports: ${output.summary.totalCruised} modules, no cycle between files or between folders of ${ROOT}`);
