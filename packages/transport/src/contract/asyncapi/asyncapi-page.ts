/**
 * The AsyncAPI project's own renderer, as files of `@asyncapi/react-component` (a package the app
 * installs) that the app serves from its node_modules: no CDN. Resolve them with the app's
 * `require.resolve` and serve them under the page's `assetsPath`.
 */
export const ASYNCAPI_ASSETS = {
  /** The standalone bundle (React and the AsyncAPI parser included): `AsyncApiStandalone.render(...)`. */
  'asyncapi-standalone.js': '@asyncapi/react-component/browser/standalone/index.js',
  'asyncapi.css': '@asyncapi/react-component/styles/default.min.css',
} as const;

/** Options of `asyncApiPage`. */
export interface AsyncApiPageOptions {
  /** The page's title. */
  title: string;
  /** Where the document is served (JSON or YAML), e.g. `/asyncapi.json`. */
  documentUrl: string;
  /** Where the files of `ASYNCAPI_ASSETS` are served, by their keys, e.g. `/asyncapi/assets`. */
  assetsPath: string;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML page that renders the document with the AsyncAPI React component's standalone bundle. */
export function asyncApiPage({ title, documentUrl, assetsPath }: AsyncApiPageOptions): string {
  const assets = assetsPath.replace(/\/$/, '');
  const config = { schema: { url: documentUrl }, config: { show: { sidebar: true, errors: true } } };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${escapeHtml(`${assets}/asyncapi.css`)}">
</head>
<body>
<div id="asyncapi"></div>
<script src="${escapeHtml(`${assets}/asyncapi-standalone.js`)}"></script>
<script>AsyncApiStandalone.render(${JSON.stringify(config).replace(/</g, '\\u003c')}, document.getElementById('asyncapi'));</script>
</body>
</html>
`;
}
