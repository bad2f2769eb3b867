// Injected into CommonJS bundles: stands in for `import.meta.url` of bundled ESM-only packages.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
