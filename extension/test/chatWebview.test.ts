import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CHAT_VIEW_ID, chatViewHtml } from '../src/chatWebview';

describe('chatViewHtml', () => {
  const html = chatViewHtml({
    cspSource: 'https://webview.example',
    scriptUri: 'https://webview.example/dist/webview.js',
    styleUri: 'https://webview.example/dist/webview.css',
    nonce: 'n0nce',
  });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';

  it('allows only the nonced script, and nothing by default', () => {
    const directives = csp.split('; ');
    assert.ok(directives.includes(`default-src 'none'`));
    assert.ok(directives.includes(`script-src 'nonce-n0nce'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });

  it('loads the bundled script and style with the nonce', () => {
    assert.match(html, /<script nonce="n0nce" src="https:\/\/webview\.example\/dist\/webview\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="https:\/\/webview\.example\/dist\/webview\.css" nonce="n0nce">/);
  });
});

describe('CHAT_VIEW_ID', () => {
  it('is the webview view package.json contributes', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const views = Object.values(manifest.contributes.views as Record<string, Array<{ id: string; type?: string }>>).flat();
    assert.ok(views.some((v) => v.id === CHAT_VIEW_ID && v.type === 'webview'));
  });
});
