// Agent mode in the real VS Code: one agent turn, scripted through the model server, edits two
// files and then runs a check command. Before the command runs the server asks for a review
// (victor/reviewChanges): both diffs open, one file is accepted and the other rejected, and the
// disk must match. The command is approved from its notification and its output streams into
// the chat; "Undo this turn" then restores the accepted file. Then: undo of a file the user
// changed since asks first; Stop during a review closes it and writes nothing. Last, "Victor:
// Manage Allowed Commands" adds a command to the folder's allowlist and removes it again.
// Registered by run.mjs (E2E_ONLY="workbench loads|agent turn" runs just these).
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const A = 'agent_a.py';
const B = 'agent_b.py';
const CHECK = 'agent_check.py';
const GO = 'agent_check.go';
const A_BEFORE = 'def add(a: int, b: int) -> int:\n    return a + b\n';
const A_AFTER = 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n';
const B_BEFORE = 'def sub(a: int, b: int) -> int:\n    return a - b\n';
const B_AFTER = 'def sub(a: int, b: int) -> int:\n    """Subtract b from a."""\n    return a - b\n';
// The check prints a line, then waits until the test has seen it in the chat (the go file), so
// "it streamed" is observed, not timed.
const CHECK_SCRIPT = [
  'import os, time',
  'print("agent check: started", flush=True)',
  'for _ in range(600):',
  `    if os.path.exists(${JSON.stringify(GO)}):`,
  '        break',
  '    time.sleep(0.05)',
  'print("agent check: 2 passed", flush=True)',
  '',
].join('\n');

export function registerAgentTests(test, h) {
  const file = (name) => join(h.workspace, name);
  const read = (name) => (existsSync(file(name)) ? readFileSync(file(name), 'utf8') : undefined);
  const state = { answer: undefined, approved: false };

  /**
   * Approves the check command from its notification ("Run once"), after checking the
   * notification names the command line and the chat shows the turn waits for the answer.
   */
  async function approve() {
    const page = h.page();
    const toast = page.locator('.notification-toast', { hasText: 'Victor agent wants to run' }).first();
    await toast.waitFor({ timeout: 30_000 });
    const message = await toast.innerText();
    if (!message.includes(`python3 ${CHECK}`)) throw new Error(`the approval does not show the command line: ${message}`);
    await h.chat().locator('.awaiting', { hasText: 'Waiting for your answer' }).waitFor({ timeout: 10_000 });
    // The toast slides in: click until it goes away.
    for (let attempt = 0; attempt < 5 && (await toast.isVisible()); attempt++) {
      await toast.locator('.monaco-button', { hasText: 'Run once' }).first().click({ timeout: 5000 }).catch(() => {});
      await toast.waitFor({ state: 'hidden', timeout: 2000 }).catch(() => {});
    }
    if (await toast.isVisible()) throw new Error('the approval notification did not go away after "Run once"');
    state.approved = true;
  }

  /** Polls `check` (returning a truthy value when done) until `ms` pass; throws `what`. */
  async function until(check, ms, what) {
    const deadline = Date.now() + ms;
    let last;
    while (Date.now() < deadline) {
      last = await check();
      if (last) return last;
      await h.sleep(200);
    }
    throw new Error(typeof what === 'function' ? await what() : what);
  }

  test('agent turn: review shows both diffs; accept one file, reject the other; the disk matches', 150_000, async () => {
    const page = h.page();
    const chat = h.chat();
    writeFileSync(file(A), A_BEFORE);
    writeFileSync(file(B), B_BEFORE);
    writeFileSync(file(CHECK), CHECK_SCRIPT);
    rmSync(file(GO), { force: true });
    await h.postModelControl('/_control/reset', {});
    await h.postModelControl('/_control/script', {
      replies: [
        {
          text: 'I will document both functions.',
          tool_calls: [
            { name: 'edit_file', input: { path: A, old_text: '    return a + b\n', new_text: '    """Add two numbers."""\n    return a + b\n' } },
            { name: 'edit_file', input: { path: B, old_text: '    return a - b\n', new_text: '    """Subtract b from a."""\n    return a - b\n' } },
          ],
        },
        { text: 'Now I run the check.', tool_calls: [{ name: 'run_command', input: { command: ['python3', CHECK] } }] },
        { text: 'Done: add is documented and the check passed.' },
      ],
    });
    await h.openChat();
    await chat.locator('#mode-agent').click();
    await chat.locator('#mode-agent.selected').waitFor({ timeout: 5000 });
    const answer = await h.sendMessage('Document add and sub, then run the check.');
    state.answer = answer;
    if (!(await answer.locator('.badge-agent').count())) throw new Error('the answer is not marked as an agent turn');

    // The review: a multi-select list of the files, and a diff per file. The server may ask to
    // approve the command first (the review comes before the command runs, either way).
    const picker = page.locator('.quick-input-widget', { hasText: 'review 2 changes' });
    const toast = page.locator('.notification-toast', { hasText: 'Victor agent wants to run' }).first();
    await until(async () => (await picker.isVisible()) || (await toast.isVisible()), 60_000, 'neither the review nor the approval showed up');
    if (!(await picker.isVisible())) await approve();
    await picker.waitFor({ state: 'visible', timeout: 30_000 });
    for (const [name, before, after] of [
      [A, 'return a + b', 'Add two numbers.'],
      [B, 'return a - b', 'Subtract b from a.'],
    ]) {
      // Both diffs are open as tabs; the list's diff button brings one to the front.
      await page.locator('.tabs-container .tab', { hasText: `${name} (Victor agent` }).first().waitFor({ timeout: 20_000 });
      const row = picker.locator('.monaco-list-row', { hasText: name }).first();
      await row.hover();
      await row.locator('.action-label[aria-label="Show the diff"], .action-label[title="Show the diff"]').first().click();
      await page.locator('.tabs-container .tab.active', { hasText: `${name} (Victor agent` }).first().waitFor({ timeout: 10_000 });
      const diff = page.locator('.editor-group-container.active .monaco-diff-editor').first();
      const modified = await until(
        async () => {
          const text = nbsp(await diff.locator('.editor.modified .view-lines').first().innerText().catch(() => ''));
          return text.includes(after) ? text : undefined;
        },
        15_000,
        async () => `the diff of ${name} does not show the agent's text; diff editors show: ${JSON.stringify(await page.locator('.monaco-diff-editor').allInnerTexts())}`,
      );
      const original = nbsp(await diff.locator('.editor.original .view-lines').first().innerText());
      if (!original.includes(before) || original.includes(after)) throw new Error(`the diff of ${name} has the wrong original:\n${original}`);
      if (!modified.includes(before)) throw new Error(`the agent's side of ${name} lost the rest of the file:\n${modified}`);
    }
    // The chat shows the pending change set and that the turn waits for the review.
    await chat.locator('.awaiting', { hasText: "Review the agent's changes (2 files)" }).waitFor({ timeout: 10_000 });
    await answer.locator('.change.change-pending', { hasText: A }).waitFor({ timeout: 10_000 });
    await answer.locator('.change.change-pending', { hasText: B }).waitFor({ timeout: 10_000 });

    // Uncheck agent_b.py (both start checked), then accept.
    const rowB = picker.locator('.monaco-list-row', { hasText: B }).first();
    await until(async () => (await checked(rowB)) === true, 5000, `${B} is not checked at first`);
    // A click on the row's label toggles its checkbox.
    await rowB.locator('.quick-input-list-rows').first().click();
    await until(async () => (await checked(rowB)) === false, 5000, `${B} could not be unchecked`);
    if ((await checked(picker.locator('.monaco-list-row', { hasText: A }).first())) !== true) throw new Error(`${A} is not checked`);
    await picker.locator('.quick-input-box input').first().press('Enter');
    await picker.waitFor({ state: 'hidden', timeout: 10_000 });

    await until(() => read(A) === A_AFTER, 20_000, () => `${A} on disk is not the accepted text:\n${read(A)}`);
    if (read(B) !== B_BEFORE) throw new Error(`${B} changed on disk although it was rejected:\n${read(B)}`);
    await answer.locator('.change.change-accepted', { hasText: A }).waitFor({ timeout: 10_000 });
    await answer.locator('.change.change-rejected', { hasText: B }).waitFor({ timeout: 10_000 });
    // The review's diffs are closed again.
    await page.locator('.tabs-container .tab', { hasText: '(Victor agent' }).first().waitFor({ state: 'detached', timeout: 10_000 });
  });

  test("agent turn: the approved check command runs and its output streams into the chat", 90_000, async () => {
    const page = h.page();
    const chat = h.chat();
    const answer = state.answer;
    if (!answer) throw new Error('the review test did not get far enough');
    if (!state.approved) await approve();
    // The first line shows while the command still runs (it waits for the go file).
    const output = answer.locator('.tool-output').first();
    await until(async () => (await output.innerText().catch(() => '')).includes('agent check: started'), 30_000, 'no streamed output in the chat');
    if (!(await answer.locator('.tool.tool-running', { hasText: 'run_command' }).count())) throw new Error('the command is not shown as running');
    if ((await output.innerText()).includes('2 passed')) throw new Error('the command finished before the go file existed');
    writeFileSync(file(GO), 'go\n');
    await until(async () => (await output.innerText().catch(() => '')).includes('agent check: 2 passed'), 30_000, 'the rest of the output did not arrive');
    await h.waitForAnswerDone(answer, 30_000);
    const body = await answer.locator('.message-body').innerText();
    if (!body.includes('the check passed')) throw new Error(`unexpected final answer: ${body}`);
    if (await answer.locator('.error-box').count()) throw new Error(await answer.locator('.error-box').innerText());
    // The model was told the review's outcome and got the command's output.
    const recorded = await h.modelControl('/_control/requests');
    const requests = (recorded?.body?.requests ?? []).filter((r) => JSON.stringify(r.body ?? '').includes('Document add and sub'));
    const last = JSON.stringify(requests.at(-1)?.body ?? '');
    if (!last.includes('agent check: 2 passed')) throw new Error('the model did not get the command output');
    if (!/rejected[^"]*agent_b\.py|agent_b\.py[^"]*rejected/.test(last)) throw new Error('the model was not told that agent_b.py was rejected');
  });

  test('agent turn: "Undo this turn" restores the accepted file', 60_000, async () => {
    const chat = h.chat();
    const answer = state.answer;
    if (!answer) throw new Error('the review test did not get far enough');
    await answer.locator('.undo-turn').click();
    await until(() => read(A) === A_BEFORE, 20_000, () => `${A} was not restored:\n${read(A)}`);
    if (read(B) !== B_BEFORE) throw new Error(`${B} changed by the undo:\n${read(B)}`);
    await answer.locator('.badge', { hasText: 'Undone' }).waitFor({ timeout: 10_000 });
  });

  test('agent turn: undo asks before restoring a file changed since', 60_000, async () => {
    const page = h.page();
    await h.postModelControl('/_control/reset', {});
    await h.postModelControl('/_control/script', {
      replies: [
        { text: 'Editing.', tool_calls: [{ name: 'edit_file', input: { path: A, old_text: 'a + b', new_text: 'b + a' } }] },
        { text: 'Swapped.' },
      ],
    });
    const answer = await h.sendMessage('Swap the operands in add.');
    const picker = page.locator('.quick-input-widget', { hasText: 'review 1 change' });
    await picker.waitFor({ state: 'visible', timeout: 30_000 });
    await picker.locator('.quick-input-box input').first().press('Enter');
    await until(() => read(A)?.includes('return b + a'), 20_000, () => `${A} was not edited:\n${read(A)}`);
    await h.waitForAnswerDone(answer, 30_000);
    // The user edits the file after the agent (in the editor, saved).
    await h.openFile(A);
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('# mine');
    await page.keyboard.press('Control+S');
    await until(() => read(A)?.includes('# mine'), 10_000, `${A} was not saved with the user's line`);
    await answer.locator('.undo-turn').click();
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'changed since' });
    await dialog.waitFor({ timeout: 10_000 });
    if (read(A) === A_BEFORE) throw new Error('the file was restored before the user answered');
    await dialog.locator('.monaco-button', { hasText: 'Restore Anyway' }).first().click();
    await until(() => read(A) === A_BEFORE, 20_000, () => `${A} was not restored:\n${read(A)}`);
    await answer.locator('.badge', { hasText: 'Undone' }).waitFor({ timeout: 10_000 });
  });

  test('agent turn: Stop during the review closes it and leaves the file as it was', 60_000, async () => {
    const page = h.page();
    const chat = h.chat();
    await h.postModelControl('/_control/reset', {});
    await h.postModelControl('/_control/script', {
      replies: [
        { text: 'Editing.', tool_calls: [{ name: 'edit_file', input: { path: A, old_text: 'a + b', new_text: 'b + a' } }] },
        { text: 'Swapped the operands.' },
      ],
    });
    const answer = await h.sendMessage('Swap the operands in add.');
    // The turn ends with the change pending: its review opens; Stop instead of deciding.
    const picker = page.locator('.quick-input-widget', { hasText: 'review 1 change' });
    await picker.waitFor({ state: 'visible', timeout: 30_000 });
    await chat.locator('#stop').click();
    await picker.waitFor({ state: 'hidden', timeout: 10_000 });
    await answer.locator('.badge', { hasText: 'Stopped' }).waitFor({ timeout: 10_000 });
    await answer.locator('.change.change-dropped', { hasText: A }).waitFor({ timeout: 10_000 });
    await page.locator('.tabs-container .tab', { hasText: '(Victor agent' }).first().waitFor({ state: 'detached', timeout: 10_000 });
    await h.sleep(500);
    if (read(A) !== A_BEFORE) throw new Error(`${A} changed although the turn was stopped before its review:\n${read(A)}`);
    // Back to Ask for whatever runs next.
    await chat.locator('#mode-ask').click();
    await h.postModelControl('/_control/reset', {});
  });

  test('agent turn: Manage Allowed Commands adds a command to the folder\'s allowlist and removes it', 60_000, async () => {
    const page = h.page();
    // The server's allowlist file (XDG_CONFIG_HOME is set by e2e.sh for code-server and us).
    const store = join(process.env.XDG_CONFIG_HOME ?? '', 'victor', 'allowed-commands.json');
    const entries = () => {
      if (!existsSync(store)) return [];
      return JSON.parse(readFileSync(store, 'utf8')).folders?.[realpathSync(h.workspace)] ?? [];
    };
    const command = ['python3', '-m', 'pytest', '-q'];
    if (entries().length) throw new Error(`the allowlist is not empty at first: ${JSON.stringify(entries())}`);
    const list = page.locator('.quick-input-widget', { hasText: 'Allowed Commands in' });
    const placeholder = () => list.locator('.quick-input-box input').first().getAttribute('placeholder').catch(() => '');
    await h.runCommand('Victor: Manage Allowed Commands');
    await list.waitFor({ state: 'visible', timeout: 20_000 });
    await until(async () => /No allowed commands in .*asks before every command/.test(await placeholder()), 10_000, 'the empty list does not say so');

    await list.locator('.monaco-list-row', { hasText: 'Add a command' }).first().click();
    const ask = page.locator('.quick-input-widget', { hasText: 'Allow a Command in' });
    const input = ask.locator('.quick-input-box input').first();
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('python3 -m pytest | tee log');
    await ask.locator('.quick-input-message', { hasText: 'without a shell' }).waitFor({ timeout: 10_000 });
    await input.fill(command.join(' '));
    await input.press('Enter');
    await until(() => JSON.stringify(entries()) === JSON.stringify([command]), 15_000, () => `not in the allowlist: ${JSON.stringify(entries())}`);
    await page.locator('.notification-toast', { hasText: 'now runs "python3 -m pytest -q"' }).first().waitFor({ timeout: 10_000 });

    // The list comes back with the entry; selecting it removes it.
    await list.waitFor({ state: 'visible', timeout: 10_000 });
    await until(async () => /^1 command runs without asking/.test(await placeholder()), 10_000, 'the list does not show one entry');
    // By keyboard: the pointer still rests where "Add a command" was, and its hover can cover
    // the row below it (a click then lands on the hover).
    await page.mouse.move(1, 1);
    const filter = list.locator('.quick-input-box input').first();
    const entry = list.locator('.monaco-list-row', { hasText: 'python3 -m pytest -q' }).first();
    await until(async () => {
      if (await entry.evaluate((el) => el.classList.contains('focused')).catch(() => false)) return true;
      await filter.press('ArrowDown');
      return false;
    }, 10_000, 'the entry never became the active row');
    await filter.press('Enter');
    await until(() => entries().length === 0, 15_000, () => `still in the allowlist: ${JSON.stringify(entries())}`);
    await until(async () => /No allowed commands in/.test(await placeholder()), 10_000, 'the list does not say it is empty again');
    await page.keyboard.press('Escape');
  });
}

/** Monaco renders spaces as no-break spaces. */
const nbsp = (text) => text.replace(/\u00a0/g, ' ');

/** Whether a quick pick row's checkbox is checked (undefined when none is found). */
async function checked(row) {
  return row.evaluate((el) => {
    const box = el.querySelector('input[type="checkbox"]');
    if (box) return box.checked;
    const toggle = el.querySelector('[aria-checked]');
    if (toggle) return toggle.getAttribute('aria-checked') === 'true';
    const custom = el.querySelector('.monaco-custom-toggle, .monaco-checkbox');
    return custom ? custom.classList.contains('checked') : undefined;
  });
}
