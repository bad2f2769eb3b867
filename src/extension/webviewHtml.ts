/**
 * The page every webview of this extension loads: a strict CSP (nothing remote, no connect or
 * frames), a fresh nonce per render, the bundle from dist/webview and styles from media/.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export interface WebviewPage {
  title: string;
  /** The bundle `dist/webview/<script>.js`. */
  script: string;
  /** Style sheets in `media/`. */
  styles: readonly string[];
  /** Extra attributes of the root element (already escaped), e.g. `data-nonce="..."`. */
  rootAttributes?: (nonce: string) => string;
  /** The root element: `main` or `div`. */
  rootTag?: 'main' | 'div';
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${page.script}.js`));
  const styles = page.styles.map((s) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', s)));
  // No remote origin anywhere: images only from the extension, no connect/frame/form targets.
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource}`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'", "form-action 'none'", "frame-src 'none'", "connect-src 'none'", "object-src 'none'",
  ].join('; ');
  const tag = page.rootTag ?? 'div';
  const attrs = page.rootAttributes ? ` ${page.rootAttributes(nonce)}` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles.map((href) => `<link rel="stylesheet" href="${href}" nonce="${nonce}">`).join('\n')}
<title>${page.title}</title>
</head>
<body>
<${tag} id="app"${attrs}><p class="loading">Loading...</p></${tag}>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
