// The status-bar item: provider/model, the server's state, and Restricted Mode (an untrusted
// folder: the server runs no program from it).
import * as vscode from 'vscode';
import type { VictorClient } from './client';

export function createStatusBar(client: VictorClient): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('victor.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Victor';
  item.command = 'victor.focusChat';
  const render = () => {
    const status = client.status;
    const model = [status?.provider, status?.model].filter(Boolean).join(' · ');
    let icon = '$(sparkle)';
    let state = '';
    item.backgroundColor = undefined;
    switch (client.state) {
      case 'starting':
      case 'restarting':
        icon = '$(sync~spin)';
        state = client.state === 'starting' ? 'starting' : 'restarting';
        break;
      case 'failed':
        icon = '$(error)';
        state = 'stopped';
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        item.command = 'victor.showOutput';
        break;
      case 'stopped':
        icon = '$(circle-slash)';
        state = 'stopped';
        break;
      case 'running':
        item.command = 'victor.focusChat';
        if (status?.ready === false) {
          icon = '$(loading~spin)';
          state = 'scanning';
        }
        break;
    }
    const restricted = client.state === 'running' && (status?.folders ?? []).some((f) => !f.trusted);
    if (restricted && !state) state = 'Restricted Mode';
    item.text = `${icon} Victor${model ? `: ${model}` : ''}${state ? ` (${state})` : ''}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**Victor** — ${client.state}${status?.version ? ` · v${status.version}` : ''}\n\n`);
    if (status?.provider) tip.appendMarkdown(`Provider: \`${status.provider}\`  \n`);
    if (status?.model) tip.appendMarkdown(`Model: \`${status.model}\`  \n`);
    if (client.error && client.state !== 'running') tip.appendMarkdown(`\n${client.error}\n`);
    if (restricted) {
      tip.appendMarkdown(
        '\nRestricted Mode: Victor chats and generates, but runs no program from this workspace ' +
          '(no formatter from its .venv or node_modules). [Trust the workspace](command:workbench.trust.manage) to enable them.\n',
      );
    }
    tip.appendMarkdown(`\n[Open chat](command:victor.focusChat) · [Restart](command:victor.restartServer) · [Output](command:victor.showOutput)`);
    tip.isTrusted = { enabledCommands: ['victor.focusChat', 'victor.restartServer', 'victor.showOutput', 'workbench.trust.manage'] };
    item.tooltip = tip;
    item.show();
  };
  render();
  const subs = [client.onDidChangeState(render), client.onDidChangeStatus(render)];
  return new vscode.Disposable(() => {
    for (const s of subs) s.dispose();
    item.dispose();
  });
}
