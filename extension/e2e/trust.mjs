// Workspace trust in a real VS Code: a second code-server, with workspace trust on, opens a
// repository that commits its own `.venv/bin/ruff`. In Restricted Mode the status bar says so,
// chat works, and generated code is formatted by Victor's own ruff (the repository's never runs);
// once the user trusts the workspace, the repository's formatter is used.
//
// Called from run.mjs (`registerTrustTests`). e2e.sh passes what starting code-server needs in
// the environment: VICTOR_E2E_NODE24, VICTOR_E2E_CS_ENTRY, VICTOR_E2E_WORK (its work directory,
// with the .vsix installed in WORK/extensions) and VICTOR_E2E_PY (the Python that runs Victor).
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARK = '# formatted by the repository';

/** Registers the trust tests with run.mjs's `test(name, timeoutMs, fn)`. */
export function registerTrustTests({ test: register, opts, log, sleep, browserContext }) {
  const env = {
    node: process.env.VICTOR_E2E_NODE24,
    entry: process.env.VICTOR_E2E_CS_ENTRY,
    work: process.env.VICTOR_E2E_WORK,
    python: process.env.VICTOR_E2E_PY,
  };
  const state = { page: undefined, server: undefined, repo: undefined, ranMarker: undefined };
  // run.mjs screenshots its own page on failure; these tests run in a second one.
  const test = (name, timeoutMs, fn) =>
    register(name, timeoutMs, async () => {
      try {
        await fn();
      } catch (error) {
        const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50).toLowerCase();
        await state.page?.screenshot({ path: join(opts.results, `failure-trust-${slug}.png`) }).catch(() => {});
        throw error;
      }
    });

  test('untrusted workspace: Restricted Mode shown, chat works, no workspace formatter', 240_000, async () => {
    for (const [k, v] of Object.entries(env)) if (!v) throw new Error(`e2e.sh did not pass ${k} (VICTOR_E2E_*)`);
    const { repo, ranMarker } = makeHostileRepo(env.work, fileURLToPath(new URL('./fixture', import.meta.url)));
    state.repo = repo;
    state.ranMarker = ranMarker;
    const port = await freePort();
    state.server = startCodeServer(env, port, repo, opts['model-url'], log);
    await waitHealthy(port, state.server, sleep);
    const page = await browserContext().newPage();
    state.page = page;
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(repo)}`, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const ui = helpers(page, sleep);
    await ui.openFile('app.py');
    // The status bar says Restricted Mode once the server reported the folder untrusted.
    await ui.waitForStatusBar((text) => /Restricted Mode/.test(text), 90_000, 'Victor (Restricted Mode)');
    // Chat still works.
    const activity = page.locator('.activitybar .action-item a[aria-label^="Victor"], .activitybar .action-item[aria-label^="Victor"]').first();
    await activity.click();
    const chat = ui.chat();
    await chat.locator('#input').waitFor({ state: 'visible', timeout: 30_000 });
    await chat.locator('#input').fill('hello from restricted mode');
    await chat.locator('#input').press('Enter');
    await chat.locator('.message.assistant', { hasText: 'Echo: hello from restricted mode' }).first().waitFor({ timeout: 30_000 });
    // Generate: formatted, but not by the repository's ruff.
    const text = await ui.generateAndApply(opts['model-url'], 'messy');
    if (text.includes(MARK)) throw new Error("the repository's ruff ran in Restricted Mode");
    if (!text.includes('def messy(a, b):')) throw new Error(`generated code not formatted by Victor's ruff:\n${text}`);
    if (existsSync(ranMarker)) throw new Error("the repository's ruff ran in Restricted Mode");
  });

  test('trusting the workspace enables its own formatter', 120_000, async () => {
    const page = state.page;
    if (!page) throw new Error('the Restricted Mode test did not get far enough');
    const ui = helpers(page, sleep);
    await ui.grantTrust();
    await ui.waitForStatusBar((text) => /Victor/.test(text) && !/Restricted Mode/.test(text), 60_000, 'Victor without Restricted Mode');
    await page.locator('.tabs-container .tab[aria-label*="app.py"]').first().click();
    const text = await ui.generateAndApply(opts['model-url'], 'tidy');
    if (!text.includes(MARK)) throw new Error(`the repository's formatter did not run once trusted:\n${text}`);
    if (!existsSync(state.ranMarker)) throw new Error("the repository's ruff did not run");
    // It ran without the API key in its environment.
    if (readFileSync(state.ranMarker, 'utf8').includes('test-key')) throw new Error('the formatter saw the API key');
  });

  return {
    async close() {
      await state.page?.close().catch(() => {});
      if (state.server?.pid) {
        try {
          process.kill(-state.server.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

function makeHostileRepo(work, fixture) {
  const repo = join(work, 'untrusted-repo');
  cpSync(fixture, repo, { recursive: true });
  const ranMarker = join(work, 'untrusted-repo-ruff-ran');
  const bin = join(repo, '.venv', 'bin');
  mkdirSync(bin, { recursive: true });
  // A "formatter" the repository commits: records that it ran (with its environment) outside
  // the workspace, and marks its output.
  writeFileSync(join(bin, 'ruff'), `#!/bin/sh\nenv > '${ranMarker}'\ncat\necho '${MARK}'\n`);
  chmodSync(join(bin, 'ruff'), 0o755);
  return { repo, ranMarker };
}

function startCodeServer(env, port, repo, modelUrl, log) {
  const userData = join(env.work, 'trust-user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(join(userData, 'Machine'), { recursive: true });
  const settings = {
    'victor.pythonPath': env.python,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'security.workspace.trust.enabled': true,
    // No modal at start: an untrusted folder opens in Restricted Mode.
    'security.workspace.trust.startupPrompt': 'never',
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'chat.disableAIFeatures': true,
  };
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(join(userData, 'Machine', 'settings.json'), JSON.stringify({ 'victor.pythonPath': env.python }, null, 2));
  const childEnv = { ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: modelUrl, VICTOR_DATA_DIR: join(env.work, 'trust-victor-data') };
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'VICTOR_PROVIDER', 'VICTOR_MODEL']) delete childEnv[name];
  log(`trust: start a second code-server (workspace trust on) on 127.0.0.1:${port}`);
  const child = spawn(
    env.node,
    [
      env.entry,
      '--user-data-dir', userData,
      '--extensions-dir', join(env.work, 'extensions'),
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
      repo,
    ],
    { env: childEnv, detached: true, stdio: ['ignore', 'ignore', 'ignore'] },
  );
  child.unref();
  return child;
}

async function waitHealthy(port, child, sleep) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode})`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error('the second code-server did not become healthy');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function helpers(page, sleep) {
  const ui = {
    chat() {
      return page.frameLocator('iframe.webview.ready[src*="extensionId=victor-lsp.victor-lsp"]').frameLocator('iframe#active-frame');
    },
    async runCommand(title) {
      for (let attempt = 0; attempt < 6; attempt++) {
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        const box = page.locator('.quick-input-widget .quick-input-box input');
        await box.waitFor({ state: 'visible', timeout: 10_000 });
        await box.fill(`>${title}`);
        const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
        try {
          await row.waitFor({ state: 'visible', timeout: 3000 });
          await row.click();
          return;
        } catch {
          await page.keyboard.press('Escape');
          await sleep(1500);
        }
      }
      throw new Error(`command not found in the palette: ${title}`);
    },
    /**
     * Trusts the folder in the Workspace Trust editor. VS Code 1.139 opens that editor as a
     * modal over the workbench (`.monaco-modal-editor-block` takes every click until it is
     * closed); its grant button is a description button: "Trust" over its shortcut.
     */
    async grantTrust() {
      const editor = page.locator('.workspace-trust-editor');
      for (let attempt = 0; attempt < 3 && !(await editor.isVisible()); attempt++) {
        await ui.runCommand('Workspaces: Manage Workspace Trust');
        await editor.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => {});
      }
      const trustButton = editor.locator('.workspace-trust-buttons .monaco-button', { hasText: /^Trust( Folder)?$/ }).first();
      await trustButton.waitFor({ state: 'visible', timeout: 20_000 });
      await trustButton.click();
      await editor.locator('.workspace-trust-title-text', { hasText: /You trust this (folder|workspace)/ }).waitFor({ timeout: 20_000 });
      const modal = page.locator('.monaco-modal-editor-block');
      for (let attempt = 0; attempt < 3 && (await editor.isVisible()); attempt++) {
        await page.keyboard.press('Escape');
        await editor.waitFor({ state: 'hidden', timeout: 3000 }).catch(() => {});
        // A press outside the dialog also closes the modal.
        if (await modal.isVisible()) await modal.click({ position: { x: 5, y: 5 }, timeout: 3000 }).catch(() => {});
        await editor.waitFor({ state: 'hidden', timeout: 3000 }).catch(() => {});
      }
      if (await editor.isVisible()) throw new Error('the Workspace Trust editor did not close');
    },
    async openFile(name) {
      for (let attempt = 0; attempt < 3; attempt++) {
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+P');
        const box = page.locator('.quick-input-widget .quick-input-box input');
        await box.waitFor({ state: 'visible', timeout: 10_000 });
        await box.fill(name);
        const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
        try {
          await row.waitFor({ state: 'visible', timeout: 5000 });
          await page.keyboard.press('Enter');
          await page.locator(`.tabs-container .tab[aria-label*="${name}"]`).first().waitFor({ timeout: 10_000 });
          return;
        } catch {
          await sleep(1000);
        }
      }
      throw new Error(`could not open ${name}`);
    },
    async waitForStatusBar(ok, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      let text = '';
      while (Date.now() < deadline) {
        text = (await page.locator('.statusbar-item', { hasText: 'Victor' }).first().textContent().catch(() => '')) ?? '';
        if (ok(text)) return text;
        await sleep(500);
      }
      throw new Error(`status bar never showed ${what}; last: "${text}"`);
    },
    async editorText() {
      const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
      return (await lines.innerText()).replace(/\u00a0/g, ' ');
    },
    /** "Generate at Cursor" at the end of app.py with a scripted, badly formatted answer. */
    async generateAndApply(modelUrl, name) {
      const code = `def  ${name}( a,b ):\n  return a\n`;
      const res = await fetch(`${modelUrl}/_control/script`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ replies: [{ text: '```python\n' + code + '```\n' }] }),
      });
      if (!res.ok) throw new Error(`model server script: HTTP ${res.status}`);
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await ui.runCommand('Victor: Generate at Cursor');
      const box = page.locator('.quick-input-widget .quick-input-box input');
      await box.waitFor({ state: 'visible', timeout: 10_000 });
      await box.fill(`a ${name} function`);
      await box.press('Enter');
      await page.locator('.tabs-container .tab', { hasText: "Victor's proposal" }).first().waitFor({ timeout: 30_000 });
      const toast = page.locator('.notification-toast', { hasText: "Apply Victor's code" }).first();
      await toast.waitFor({ timeout: 10_000 });
      for (let attempt = 0; attempt < 5 && (await toast.isVisible()); attempt++) {
        await sleep(300);
        await toast.locator('.monaco-button', { hasText: 'Apply' }).first().click({ timeout: 5000 }).catch(() => {});
        await toast.waitFor({ state: 'hidden', timeout: 2000 }).catch(() => {});
      }
      await page.locator('.tabs-container .tab', { hasText: "Victor's proposal" }).first().waitFor({ state: 'detached', timeout: 10_000 });
      await page.locator('.tabs-container .tab[aria-label*="app.py"]').first().click();
      const deadline = Date.now() + 10_000;
      let text = '';
      while (Date.now() < deadline) {
        text = await ui.editorText();
        if (text.includes(`${name}(`)) return text;
        await sleep(250);
      }
      throw new Error(`the generated ${name} is not in app.py:\n${text}`);
    },
  };
  return ui;
}
