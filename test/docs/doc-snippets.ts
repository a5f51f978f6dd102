// The ```ts blocks of the READMEs and guides, as files a user could paste: each block is its own
// module; a block whose first line names a file (`// app.module.ts`) is that file, beside the other
// named blocks of the same document, so the quick start's main.ts can import './app.module.js'.
// A block fenced ```ts fragment is left out.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DocSnippet {
  /** The document, relative to the repository root (`docs/health.md`). */
  doc: string;
  /** 1-based line of the block's first code line in the document. */
  line: number;
  /** The file it becomes, relative to the snippet root (`docs-health/l12/snippet.ts`). */
  file: string;
  code: string;
}

const OPEN = /^```ts(?:\s+(fragment))?\s*$/;
const NAMED = /^\/\/\s*([\w.-]+\.ts)\b/;

/** The documents whose ```ts blocks must compile: README.md, packages/<name>/README.md and docs/*.md. */
export function snippetDocuments(root: string): string[] {
  const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('packages', d.name, 'README.md'));
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  return ['README.md', ...packages, ...docs].filter((doc) => existsSync(join(root, doc)));
}

/** Every ```ts block of `doc` that is not a fragment. */
export function extractSnippets(root: string, doc: string): DocSnippet[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const dir = doc.replace(/\.md$/, '').replace(/[^\w]+/g, '-');
  const snippets: DocSnippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${doc}:${i + 1}: a \`\`\`ts block that is never closed`);
    const code = lines.slice(i + 1, end).join('\n') + '\n';
    if (!open[1]) {
      const named = NAMED.exec(lines[i + 1] ?? '');
      const file = named ? `${dir}/${named[1]}` : `${dir}/l${i + 2}/snippet.ts`;
      snippets.push({ doc, line: i + 2, file, code });
    }
    i = end;
  }
  return snippets;
}

/** `doc:line` of a position in a snippet file, for an error a reader can act on. */
export function docPosition(snippet: DocSnippet, lineInSnippet: number): string {
  return `${snippet.doc}:${snippet.line + lineInSnippet}`;
}
