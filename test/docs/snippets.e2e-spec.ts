import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { docPosition, extractSnippets, snippetDocuments, type DocSnippet } from './doc-snippets';

// Every ```ts block of the READMEs and docs/ compiles on its own, as a user's file would: strict,
// module and moduleResolution NodeNext, an ES-module app (NestJS 12), `@nest-jetstream/transport`
// resolved through its package.json exports to the built types (npm test builds first). All blocks
// are type-checked in one program, each as its own module. A failure names the document and line.
const root = join(__dirname, '..', '..');
const out = join(root, '.cache', 'snippets');

// The options, once, as a tsconfig.json has them; the program below gets them through TypeScript's own
// conversion, so the tsconfig written for a person and the check cannot drift apart.
const tsconfigOptions = {
  target: 'ES2022',
  lib: ['ES2022'],
  module: 'nodenext',
  moduleResolution: 'nodenext',
  moduleDetection: 'force',
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node', 'jest'],
};
const converted = ts.convertCompilerOptionsFromJson(tsconfigOptions, out);
if (converted.errors.length > 0) throw new Error(`snippet compiler options: ${ts.flattenDiagnosticMessageText(converted.errors[0].messageText, '\n')}`);
const compilerOptions: ts.CompilerOptions = {
  ...converted.options,
  typeRoots: [join(root, 'node_modules', '@types')],
};

function writeSnippets(snippets: DocSnippet[]): Map<string, DocSnippet> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // An ES-module app, the way NestJS 12 projects are set up.
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module', private: true }) + '\n');
  // For a person: `npx tsc -p .cache/snippets` shows the same errors.
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: tsconfigOptions,
        include: ['**/*.ts'],
      },
      null,
      2,
    ) + '\n',
  );
  const byFile = new Map<string, DocSnippet>();
  for (const snippet of snippets) {
    const path = join(out, snippet.file);
    const twin = byFile.get(path);
    if (twin)
      throw new Error(
        `${docPosition(snippet, 0)}: a second block named ${relative(out, path)} (the first is at ${docPosition(twin, 0)}); give each named block its own file name`,
      );
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, snippet.code);
    byFile.set(path, snippet);
  }
  return byFile;
}

describe('the ```ts blocks of the READMEs and docs/', () => {
  it('each compile as a file of a strict NodeNext app against the built package', () => {
    const snippets = snippetDocuments(root).flatMap((doc) => extractSnippets(root, doc));
    expect(snippets.length).toBeGreaterThan(0);
    const byFile = writeSnippets(snippets);
    const program = ts.createProgram([...byFile.keys()], compilerOptions);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
      const snippet = d.file && byFile.get(d.file.fileName);
      if (!d.file || !snippet) return `${d.file ? relative(root, d.file.fileName) : 'tsc'}: TS${d.code}: ${text}`;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${docPosition(snippet, line)}:${character + 1}: TS${d.code}: ${text}`;
    });
    // Fence a deliberate fragment as ```ts fragment; anything else must compile as written.
    expect(problems).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  }, 120_000);
});
