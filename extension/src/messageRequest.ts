// `window/showMessageRequest` (agent command approvals among others): the same notification
// with buttons as vscode-languageclient's own handler, plus a report of when it waits for the
// user, so the chat view can say the turn waits for an answer.
import * as vscode from 'vscode';
import { MessageType, type MessageActionItem, type ShowMessageRequestParams } from 'vscode-languageclient/node';

export async function showMessageRequest(
  params: ShowMessageRequestParams,
  waiting: (message: string, pending: boolean) => void,
): Promise<MessageActionItem | undefined> {
  const actions = params.actions ?? [];
  const show =
    params.type === MessageType.Error
      ? vscode.window.showErrorMessage
      : params.type === MessageType.Warning
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  waiting(params.message, true);
  try {
    return await show(params.message, ...actions);
  } finally {
    waiting(params.message, false);
  }
}
