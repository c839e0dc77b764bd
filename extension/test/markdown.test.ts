import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import createDOMPurify from 'dompurify';
import { JSDOM } from 'jsdom';
import { escapeHtml, extractCodeBlocks, fenceLanguage, makeSanitizer, renderMarkdown } from '../src/markdown';

const { window } = new JSDOM('<!DOCTYPE html><html><body></body></html>');
const sanitize = makeSanitizer(createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]));

function parse(html: string): Document {
  return new JSDOM(`<body>${html}</body>`).window.document;
}

describe('renderMarkdown + sanitize', () => {
  it('renders Markdown', () => {
    const { html } = renderMarkdown('# Title\n\nSome **bold** and `code`.\n\n- a\n- b', sanitize);
    const doc = parse(html);
    assert.equal(doc.querySelector('h1')?.textContent, 'Title');
    assert.equal(doc.querySelector('strong')?.textContent, 'bold');
    assert.equal(doc.querySelectorAll('li').length, 2);
  });

  it('removes script tags and event handlers (raw HTML never becomes markup)', () => {
    const { html } = renderMarkdown('Hi <script>alert(1)</script> <img src=x onerror="alert(2)"> <b onclick="x()">b</b>', sanitize);
    const doc = parse(html);
    assert.equal(doc.querySelector('script'), null);
    assert.equal(doc.querySelector('img'), null);
    assert.equal(doc.querySelector('[onclick]'), null);
    assert.match(doc.body.textContent ?? '', /<script>alert\(1\)<\/script>/);
  });

  it('the sanitizer strips dangerous markup even if it reaches it', () => {
    const out = sanitize('<p>ok</p><script>alert(1)</script><a href="javascript:alert(1)">x</a><iframe src="https://e.x"></iframe><p style="color:red" onmouseover="y()">s</p>');
    const doc = parse(out);
    assert.equal(doc.querySelector('script'), null);
    assert.equal(doc.querySelector('iframe'), null);
    assert.equal(doc.querySelector('a')?.getAttribute('href'), null);
    assert.equal(doc.querySelector('[style]'), null);
    assert.equal(doc.querySelector('[onmouseover]'), null);
    assert.equal(doc.querySelectorAll('p').length, 2);
  });

  it('drops javascript: links from Markdown', () => {
    const { html } = renderMarkdown('[x](javascript:alert(1)) [ok](https://example.com)', sanitize);
    const doc = parse(html);
    const hrefs = [...doc.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    assert.deepEqual(hrefs, ['https://example.com']);
  });

  it('highlights fenced code and wraps it with Copy / Insert / Apply', () => {
    const { html, blocks } = renderMarkdown('Text\n\n```python\ndef f(x):\n    return "s"  # c\n```\n', sanitize);
    const doc = parse(html);
    const block = doc.querySelector('.code-block');
    assert.ok(block);
    assert.equal(block!.getAttribute('data-index'), '0');
    assert.deepEqual([...block!.querySelectorAll('button')].map((b) => b.getAttribute('data-action')), ['copy', 'insert', 'apply']);
    assert.ok(block!.querySelector('code.hljs.language-python .hljs-keyword'));
    assert.ok(block!.querySelector('.hljs-string'));
    assert.equal(block!.querySelector('code')!.textContent, 'def f(x):\n    return "s"  # c\n');
    assert.deepEqual(blocks, [{ index: 0, lang: 'python', code: 'def f(x):\n    return "s"  # c\n' }]);
  });

  it('escapes code in unknown languages and never lets it become markup', () => {
    const { html, blocks } = renderMarkdown('```weird\n<script>alert(1)</script>\n```', sanitize);
    const doc = parse(html);
    assert.equal(doc.querySelector('script'), null);
    assert.equal(doc.querySelector('code')!.textContent, '<script>alert(1)</script>\n');
    assert.equal(blocks[0]!.code, '<script>alert(1)</script>\n');
  });

  it('renders an unclosed fence while streaming', () => {
    const { blocks } = renderMarkdown('Here:\n\n```js\nconst a = 1;\n', sanitize);
    assert.deepEqual(blocks, [{ index: 0, lang: 'js', code: 'const a = 1;\n' }]);
  });
});

describe('extractCodeBlocks', () => {
  it('finds fenced and indented blocks in order, matching the rendered indices', () => {
    const src = 'a\n\n```ts\nlet x = 1;\n```\n\ntext\n\n    indented()\n\n~~~\nplain\n~~~\n';
    const blocks = extractCodeBlocks(src);
    assert.deepEqual(blocks, [
      { index: 0, lang: 'ts', code: 'let x = 1;\n' },
      { index: 1, lang: '', code: 'indented()\n' },
      { index: 2, lang: '', code: 'plain\n' },
    ]);
    assert.deepEqual(renderMarkdown(src, sanitize).blocks, blocks);
  });

  it('returns nothing for text without code', () => {
    assert.deepEqual(extractCodeBlocks('Echo: hello'), []);
  });

  it('parses fence info strings', () => {
    assert.equal(fenceLanguage('python title="x.py"'), 'python');
    assert.equal(fenceLanguage('  C++ '), 'c++');
    assert.equal(fenceLanguage(''), '');
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
