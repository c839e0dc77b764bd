// Markdown -> sanitized HTML for the chat view: markdown-it (raw HTML disabled), highlight.js
// for fenced code, and a sanitizer (DOMPurify) on the result. Code blocks are rendered with a
// toolbar (Copy / Insert / Apply) and returned alongside the HTML, indexed like the markup.
// No `vscode` import: the webview and the unit tests use it.
import MarkdownIt from 'markdown-it';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const LANGUAGES = {
  bash, c, cpp, csharp, css, diff, go, ini, java, javascript, json, kotlin, markdown, php,
  python, ruby, rust, shell, sql, typescript, xml, yaml,
};
for (const [name, def] of Object.entries(LANGUAGES)) {
  if (!hljs.getLanguage(name)) hljs.registerLanguage(name, def);
}
hljs.registerAliases(['toml'], { languageName: 'ini' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['sh', 'zsh', 'console'], { languageName: 'bash' });

export interface CodeBlock {
  index: number;
  /** The fence's language (first word of the info string), '' when none. */
  lang: string;
  code: string;
}

export type Sanitizer = (html: string) => string;

interface RenderEnv {
  blocks?: CodeBlock[];
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The language name of a fence info string (`python title="x"` -> `python`). */
export function fenceLanguage(info: string): string {
  return (info.trim().split(/\s+/)[0] ?? '').replace(/[^\w#+.-]/g, '').toLowerCase();
}

export function highlightCode(code: string, lang: string): { html: string; language: string | undefined } {
  if (lang && hljs.getLanguage(lang)) {
    try {
      return { html: hljs.highlight(code, { language: lang, ignoreIllegals: true }).value, language: lang };
    } catch {
      // fall through to plain text
    }
  }
  return { html: escapeHtml(code), language: undefined };
}

function codeBlockHtml(block: CodeBlock): string {
  const { html, language } = highlightCode(block.code, block.lang);
  const label = escapeHtml(block.lang || 'text');
  const langClass = language ? ` language-${escapeHtml(language)}` : '';
  return (
    `<div class="code-block" data-index="${block.index}">` +
    `<div class="code-toolbar"><span class="code-lang">${label}</span>` +
    `<span class="code-actions">` +
    `<button type="button" class="code-action" data-action="copy" title="Copy to the clipboard">Copy</button>` +
    `<button type="button" class="code-action" data-action="insert" title="Insert at the cursor of the active editor">Insert</button>` +
    `<button type="button" class="code-action" data-action="apply" title="Replace the selection of the active editor (with a diff preview)">Apply</button>` +
    `</span></div>` +
    `<pre><code class="hljs${langClass}">${html}</code></pre></div>`
  );
}

export function createMarkdown(): MarkdownIt {
  const md = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });
  const pushBlock = (env: RenderEnv, lang: string, code: string): CodeBlock => {
    const blocks = (env.blocks ??= []);
    const block = { index: blocks.length, lang, code };
    blocks.push(block);
    return block;
  };
  md.renderer.rules.fence = (tokens, idx, _options, env: RenderEnv) => {
    const token = tokens[idx]!;
    return codeBlockHtml(pushBlock(env, fenceLanguage(token.info), token.content));
  };
  md.renderer.rules.code_block = (tokens, idx, _options, env: RenderEnv) => {
    return codeBlockHtml(pushBlock(env, '', tokens[idx]!.content));
  };
  // Links open through the extension (the webview has no navigation), and never with a target.
  const defaultLinkOpen =
    md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    tokens[idx]!.attrSet('class', 'md-link');
    return defaultLinkOpen(tokens, idx, options, env, self);
  };
  return md;
}

let shared: MarkdownIt | undefined;

/** The code blocks of a Markdown text, in document order (fenced and indented). */
export function extractCodeBlocks(source: string, md: MarkdownIt = (shared ??= createMarkdown())): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  for (const token of md.parse(source, {})) {
    if (token.type === 'fence') {
      blocks.push({ index: blocks.length, lang: fenceLanguage(token.info), code: token.content });
    } else if (token.type === 'code_block') {
      blocks.push({ index: blocks.length, lang: '', code: token.content });
    }
  }
  return blocks;
}

export interface Rendered {
  html: string;
  blocks: CodeBlock[];
}

/** Renders Markdown to HTML, runs the sanitizer on it, and returns the code blocks. */
export function renderMarkdown(
  source: string,
  sanitize: Sanitizer,
  md: MarkdownIt = (shared ??= createMarkdown()),
): Rendered {
  const env: RenderEnv = { blocks: [] };
  const html = md.render(source, env);
  return { html: sanitize(html), blocks: env.blocks ?? [] };
}

/** The DOMPurify configuration used by the chat view. */
export const PURIFY_CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select', 'iframe', 'object', 'embed', 'img', 'video', 'audio', 'source', 'link', 'meta', 'base'],
  FORBID_ATTR: ['style', 'srcset', 'formaction', 'action'],
  ALLOW_DATA_ATTR: true,
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|file:|vscode:|#)/i,
};

/** Minimal structural type of a DOMPurify instance (avoids a type dependency on the DOM lib). */
export interface PurifyLike {
  sanitize(html: string, config: typeof PURIFY_CONFIG): unknown;
}

export function makeSanitizer(purify: PurifyLike): Sanitizer {
  return (html) => String(purify.sanitize(html, PURIFY_CONFIG));
}
