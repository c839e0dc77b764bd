// `@victor` in VS Code's native chat, where that API exists (guarded: the extension works without it).
import * as vscode from 'vscode';
import type { VictorClient } from './client';
import { EditorTracker, editorContextParams } from './editorContext';
import { errorMessage } from './errors';
import { StreamAccumulator, describeToolCall } from './stream';

interface VictorResultMetadata {
  sessionId?: string;
}

export function registerChatParticipant(client: VictorClient, editors: EditorTracker, extensionUri: vscode.Uri): vscode.Disposable | undefined {
  const chatApi = (vscode as unknown as { chat?: { createChatParticipant?: typeof vscode.chat.createChatParticipant } }).chat;
  if (typeof chatApi?.createChatParticipant !== 'function') return undefined;

  const handler: vscode.ChatRequestHandler = async (request, context, stream, token) => {
    // Continue the session of the last @victor answer in this conversation.
    let sessionId: string | undefined;
    for (const turn of [...context.history].reverse()) {
      if (turn instanceof vscode.ChatResponseTurn) {
        const meta = turn.result.metadata as VictorResultMetadata | undefined;
        if (meta?.sessionId) {
          sessionId = meta.sessionId;
          break;
        }
      }
    }
    const params = { message: request.prompt, ...editorContextParams(editors.editor, true) } as Parameters<VictorClient['chat']>[0];
    if (sessionId) params.sessionId = sessionId;
    else {
      try {
        params.sessionId = await client.newSession(params.workspaceFolder, '@victor');
      } catch {
        // let the server pick the folder's latest session
      }
    }
    const acc = new StreamAccumulator();
    try {
      const result = await client.chat(
        params,
        (value) => {
          for (const event of acc.push(value)) {
            if (event.kind === 'delta') stream.markdown(event.text);
            else if (event.kind === 'toolCall') stream.progress(describeToolCall(event.tool));
          }
        },
        token,
      );
      if (!acc.text && result.content) stream.markdown(result.content);
      const metadata: VictorResultMetadata = { sessionId: result.sessionId ?? acc.sessionId ?? params.sessionId };
      return { metadata };
    } catch (error) {
      if (token.isCancellationRequested) return { metadata: { sessionId: acc.sessionId ?? params.sessionId } };
      return { errorDetails: { message: errorMessage(error) }, metadata: { sessionId: acc.sessionId ?? params.sessionId } };
    }
  };

  try {
    const participant = chatApi.createChatParticipant('victor.chat', handler);
    participant.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'victor.png');
    return participant;
  } catch {
    return undefined;
  }
}
