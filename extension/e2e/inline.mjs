// Inline completions in the real VS Code: ghost text appears after typing, Tab accepts it,
// and the accepted lines keep the file's indentation. Registered by run.mjs, which passes
// its runner and helpers (`h.page()` is the page once the browser is up).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'farewell.py';
const START = 'def greet(name: str) -> str:\n    return f"Hello, {name}!"\n\n\n';

/** A completion in the fixture's own style (4 spaces, double quotes), over two lines. */
const ANSWER = 'message = f"Bye, {name}!"\n    return message';

export function registerInlineTests(test, h) {
  test('inline completion: ghost text after typing, Tab accepts it with the indentation', 150_000, async () => {
    const page = h.page();
    // Every request fired while typing gets the same answer (whichever arrives last is shown).
    const replies = Array.from({ length: 40 }, () => ({ text: `<completion>${ANSWER}</completion>` }));
    await h.postModelControl('/_control/script', { replies });
    try {
      // The extension starts the server after start-up: type only once it runs (the status bar
      // shows the provider), or the keystrokes go out before the provider is registered.
      await page.locator('.statusbar-item', { hasText: 'Victor: anthropic' }).first().waitFor({ timeout: 60_000 });
      writeFileSync(join(h.workspace, FILE), START);
      await h.openFile(FILE);
      const editor = page.locator('.editor-group-container.active .monaco-editor').first();
      await editor.locator('.view-lines').click();
      await page.keyboard.press('Control+End'); // the empty last line, column 0
      await page.keyboard.type('def farewell(name: str) -> str:', { delay: 20 });
      await page.keyboard.press('Enter'); // VS Code indents the body: the cursor is at 4 spaces
      // Monaco renders ghost text in many spans (one per token): read them together, and wait
      // for this line's answer (requests sent while typing may show other text first).
      const parts = editor.locator('.ghost-text-decoration, .ghost-text');
      let shown = '';
      for (let i = 0; i < 60 && !shown.replace(/\s+/g, '').includes('f"Bye,{name}!"'); i++) {
        await h.sleep(500);
        shown = (await parts.allInnerTexts()).join('');
      }
      if (!shown.replace(/\s+/g, '').includes('f"Bye,{name}!"')) throw new Error(`no ghost text with the answer: ${JSON.stringify(shown)}`);
      await page.keyboard.press('Tab');
      // Wait for the accepted lines to render. Once accepted, VS Code asks again at the new
      // cursor and the scripted model repeats itself: new ghost text may follow, which
      // documentText leaves out.
      let text = '';
      let lines = [];
      let at = -1;
      for (let i = 0; i < 20; i++) {
        await h.sleep(250);
        text = await documentText(editor);
        lines = text.split('\n');
        at = lines.findIndex((l) => l.includes('message = f"Bye, {name}!"'));
        if (at >= 0 && lines[at + 1] !== undefined && lines[at + 1].trim() !== '') break;
      }
      if (at < 0) throw new Error(`the suggestion was not inserted:\n${text}`);
      if (lines[at] !== '    message = f"Bye, {name}!"') throw new Error(`first line: ${JSON.stringify(lines[at])}`);
      if (lines[at + 1] !== '    return message') throw new Error(`second line: ${JSON.stringify(lines[at + 1])}`);
    } finally {
      await h.postModelControl('/_control/reset', {});
      await page.keyboard.press('Escape');
    }
  });
}

/** The editor's lines in order, without ghost text (spans inside the lines it is shown in). */
function documentText(editor) {
  return editor.locator('.view-lines').first().evaluate((root) => {
    const lines = [...root.querySelectorAll('.view-line')].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    return lines
      .map((line) => {
        const copy = line.cloneNode(true);
        for (const ghost of copy.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text')) ghost.remove();
        return copy.textContent.replace(/\u00a0/g, ' ');
      })
      .join('\n');
  });
}
