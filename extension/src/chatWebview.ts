// The chat view's webview document: the view's id (package.json contributes it) and the HTML
// page that loads dist/webview.js under a nonce-only Content-Security-Policy. Plain strings
// (no VS Code API): chatView.ts passes the webview's URIs and CSP source.

export const CHAT_VIEW_ID = 'victor.chatView';

export interface ChatPageAssets {
  /** `webview.cspSource`: where the webview may load styles, images and fonts from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  /** Fresh per page: only the page's own script and style carry it. */
  nonce: string;
}

export function chatViewHtml({ cspSource, scriptUri, styleUri, nonce }: ChatPageAssets): string {
  const csp = [
    `default-src 'none'`,
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}" nonce="${nonce}">
<title>Victor</title>
</head>
<body>
<div id="app" class="app"></div>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
