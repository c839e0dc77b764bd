// Agent mode in the chat view: which answer an agent turn belongs to, what it waits for (a
// command approval, a review), its change set and whether it can be undone. The chat view
// owns the transcript; this keeps the agent bookkeeping out of it.
import * as vscode from 'vscode';
import type { AgentReviewController, ReviewActivity } from './agentReviewUi';
import { defaultModeFrom } from './chatMode';
import type { VictorClient } from './client';
import type { ChatMode } from './protocol';
import type { ChangeActivity } from './stream';
import type { ChangeView, TranscriptMessage } from './webviewProtocol';

/** `victor.chat.defaultMode` from the user's settings only: a repository may not pick agent mode. */
export function defaultChatMode(): ChatMode {
  return defaultModeFrom(vscode.workspace.getConfiguration('victor').inspect<string>('chat.defaultMode'));
}

function relative(uri: string | null | undefined): string {
  if (!uri) return '';
  try {
    return vscode.workspace.asRelativePath(vscode.Uri.parse(uri, true), false);
  } catch {
    return uri;
  }
}

export function changeViews(changes: readonly ChangeActivity[]): ChangeView[] {
  return changes.map((c) => {
    const view: ChangeView = {
      id: c.id,
      kind: c.kind,
      label: c.kind === 'rename' ? `${relative(c.uri)} → ${relative(c.newUri)}` : relative(c.uri),
      status: c.status ?? 'pending',
    };
    if (c.reason) view.reason = c.reason;
    return view;
  });
}

export class AgentChatState implements vscode.Disposable {
  private readonly turns = new Map<string, TranscriptMessage>();
  private current: TranscriptMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    client: VictorClient,
    private readonly review: AgentReviewController,
    private readonly update: (message: TranscriptMessage) => void,
  ) {
    this.disposables.push(
      client.onMessageRequest(({ message, pending }) => {
        const answer = this.current;
        if (!answer) return;
        if (pending) answer.awaiting = { text: `Waiting for your answer in the notification: ${message}` };
        else if (answer.awaiting?.text.startsWith('Waiting for your answer')) delete answer.awaiting;
        this.update(answer);
      }),
      review.onDidChangeReview((activity) => this.reviewChanged(activity)),
      review.onDidChangeTurn(({ turnId, applied, undone }) => {
        for (const message of this.turns.values()) {
          if (message.undo === 'available') {
            delete message.undo;
            this.update(message);
          }
        }
        const message = this.turns.get(turnId);
        if (!message) return;
        if (undone) message.undo = 'done';
        else if (applied > 0) message.undo = 'available';
        this.update(message);
      }),
    );
  }

  private reviewChanged(activity: ReviewActivity): void {
    const answer = this.turns.get(activity.turnId) ?? this.current;
    if (!answer) return;
    const files = `${activity.files} file${activity.files === 1 ? '' : 's'}`;
    if (activity.state === 'open') {
      answer.awaiting = { text: `Review the agent's changes (${files}) in the list at the top of the window.` };
    } else if (activity.state === 'hidden') {
      answer.awaiting = {
        text: `The agent's changes (${files}) wait for your review.`,
        action: { label: 'Review changes', command: 'victor.reviewAgentChanges' },
      };
    } else {
      delete answer.awaiting;
    }
    this.update(answer);
  }

  /** An answer starts streaming. */
  begin(answer: TranscriptMessage): void {
    this.current = answer;
  }

  /** The server named the turn of `answer` (progress or result). */
  bindTurn(turnId: string | undefined, answer: TranscriptMessage): void {
    if (turnId) this.turns.set(turnId, answer);
  }

  setChanges(answer: TranscriptMessage, changes: readonly ChangeActivity[]): void {
    answer.changes = changeViews(changes);
  }

  /** The turn stopped or failed: the server dropped the changes nobody reviewed. */
  dropUnreviewed(answer: TranscriptMessage, changes: readonly ChangeActivity[]): void {
    if (!changes.some((c) => !c.status)) return;
    answer.changes = changeViews(changes.map((c) => (c.status ? c : { ...c, status: 'dropped', reason: 'not reviewed: the turn stopped' })));
  }

  /** The answer of `turnId` finished (completed, stopped or failed). */
  end(answer: TranscriptMessage, turnId: string | undefined): void {
    if (this.current === answer) this.current = undefined;
    delete answer.awaiting;
    this.review.turnEnded(turnId);
  }

  /** Another session is shown: its messages are new objects. */
  reset(): void {
    this.turns.clear();
    this.current = undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
