// The review of an agent turn's change set (`victor/reviewChanges`, server -> client): a diff
// per file (before / after as virtual documents) and a multi-select list of the files, checked
// = accepted. Accepted changes are applied and saved here, each only if its file is still what
// the agent saw (agentReview.ts has the rules); the last turn's applied changes can be undone.
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { deleteFile, fileState, renameFile, writeText } from './agentFiles';
import {
  conflictReason,
  parseReviewParams,
  reviewResults,
  undoOrder,
  undoStep,
  type AgentTurnRecord,
  type AppliedChange,
  type Decision,
  type FileState,
  type UndoStep,
} from './agentReview';
import { proposals } from './codeActions';
import { errorMessage } from './errors';
import { ErrorCodes, type ReviewChange, type ReviewChangesParams, type ReviewChangesResult } from './protocol';

/** Diffs opened at once when a review starts (the list's "Show diff" button opens the rest). */
const DIFFS_SHOWN = 6;

export type ReviewState = 'open' | 'hidden' | 'closed';

export interface ReviewActivity {
  sessionId: string;
  turnId: string;
  state: ReviewState;
  files: number;
}

interface ReviewItem extends vscode.QuickPickItem {
  change: ReviewChange;
}

const SHOW_DIFF: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('diff'), tooltip: 'Show the diff' };
const ACCEPT_ALL: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('check-all'), tooltip: 'Accept all' };
const REJECT_ALL: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('close-all'), tooltip: 'Reject all' };

function uriOf(value: string): vscode.Uri {
  return vscode.Uri.parse(value, true);
}

function label(uri: string): string {
  return vscode.workspace.asRelativePath(uriOf(uri), false);
}

function describeChange(c: ReviewChange): string {
  switch (c.kind) {
    case 'edit':
      return 'edited';
    case 'create':
      return 'new file';
    case 'delete':
      return 'deleted';
    case 'rename':
      return `renamed to ${label(c.newUri ?? '')}`;
  }
}

export class AgentReviewController implements vscode.Disposable {
  private queue: Promise<unknown> = Promise.resolve();
  private lastTurn: AgentTurnRecord | undefined;
  private picker: vscode.QuickPick<ReviewItem> | undefined;
  /** Ends the open review as cancelled, with the turn it belongs to. */
  private openReview: { turnId: string; cancel: () => void } | undefined;
  /** Turns whose chat request ended: a review still queued for them is not shown. */
  private readonly endedTurns = new Set<string>();
  private readonly activityEmitter = new vscode.EventEmitter<ReviewActivity>();
  private readonly turnEmitter = new vscode.EventEmitter<{ turnId: string; applied: number; undone: boolean }>();
  /** A review opened, was hidden (still pending) or closed. */
  readonly onDidChangeReview = this.activityEmitter.event;
  /** The undoable turn changed: `applied` changes recorded for it, or it was undone. */
  readonly onDidChangeTurn = this.turnEmitter.event;

  /** Answers `victor/reviewChanges`; reviews run one at a time, in order. */
  handle(raw: unknown, token: vscode.CancellationToken): Promise<ReviewChangesResult> {
    let params: ReviewChangesParams;
    try {
      params = parseReviewParams(raw);
    } catch (error) {
      return Promise.reject(new ResponseError(ErrorCodes.InvalidParams, errorMessage(error)));
    }
    const run = this.queue.then(() => this.review(params, token));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Shows the pending review's list again (after Escape hid it). */
  reopen(): boolean {
    if (!this.picker) return false;
    this.picker.show();
    return true;
  }

  /**
   * The chat request of `turnId` ended (answered, stopped or failed): a review of it still open
   * or queued is stale (the server may not cancel its request), so it ends as cancelled.
   */
  turnEnded(turnId: string | undefined): void {
    if (!turnId) return;
    this.endedTurns.add(turnId);
    if (this.endedTurns.size > 50) this.endedTurns.delete(this.endedTurns.values().next().value!);
    if (this.openReview?.turnId === turnId) this.openReview.cancel();
  }

  private async review(params: ReviewChangesParams, token: vscode.CancellationToken): Promise<ReviewChangesResult> {
    if (token.isCancellationRequested || params.changes.length === 0 || this.endedTurns.has(params.turnId)) {
      return { results: reviewResults(params.changes, new Map(), new Map(), 'the turn was cancelled') };
    }
    const activity = (state: ReviewState) =>
      this.activityEmitter.fire({ sessionId: params.sessionId, turnId: params.turnId, state, files: params.changes.length });
    const virtualDocs = new Map<string, [vscode.Uri, vscode.Uri]>();
    try {
      for (const change of params.changes.slice(0, DIFFS_SHOWN)) await this.showDiff(change, virtualDocs);
      activity('open');
      const decisions = await this.ask(params, token, virtualDocs, activity);
      if (!decisions) return { results: reviewResults(params.changes, new Map(), new Map(), 'the turn was cancelled') };
      const outcomes = await this.applyAccepted(params, decisions);
      const results = reviewResults(params.changes, decisions, outcomes);
      const problems = results.filter((r) => r.status === 'conflict' || r.status === 'failed');
      if (problems.length > 0) {
        void vscode.window.showWarningMessage(`Victor: not applied: ${problems.map((r) => r.reason).join('; ')}`);
      }
      return { results };
    } finally {
      activity('closed');
      await closeDiffs([...virtualDocs.values()].flat());
    }
  }

  /** Opens (or brings to the front) the before/after diff of one change (renames have none). */
  private async showDiff(change: ReviewChange, virtualDocs: Map<string, [vscode.Uri, vscode.Uri]>): Promise<void> {
    if (change.kind === 'rename') return;
    const original = uriOf(change.uri);
    let pair = virtualDocs.get(change.id);
    if (!pair) {
      pair = [proposals.add(original, change.before ?? ''), proposals.add(original, change.after ?? '')];
      virtualDocs.set(change.id, pair);
    }
    const [before, after] = pair;
    await vscode.commands.executeCommand('vscode.diff', before, after, `${label(change.uri)} (Victor agent: ${describeChange(change)})`, {
      preview: false,
      preserveFocus: true,
    });
  }

  /** The user's decision per change; undefined when the turn was cancelled meanwhile. */
  private ask(
    params: ReviewChangesParams,
    token: vscode.CancellationToken,
    virtualDocs: Map<string, [vscode.Uri, vscode.Uri]>,
    activity: (state: ReviewState) => void,
  ): Promise<Map<string, Decision> | undefined> {
    const picker = vscode.window.createQuickPick<ReviewItem>();
    this.picker = picker;
    const items: ReviewItem[] = params.changes.map((change) => ({
      label: label(change.uri),
      description: describeChange(change),
      change,
      ...(change.kind === 'rename' ? {} : { buttons: [SHOW_DIFF] }),
    }));
    const n = items.length;
    picker.title = `Victor agent: review ${n} change${n === 1 ? '' : 's'}: checked files are applied`;
    picker.placeholder = 'Uncheck what to reject, then press Enter (Escape: decide later)';
    picker.canSelectMany = true;
    picker.ignoreFocusOut = true;
    picker.matchOnDescription = true;
    picker.items = items;
    picker.selectedItems = items;
    picker.buttons = [ACCEPT_ALL, REJECT_ALL];
    return new Promise((resolve) => {
      const disposables: vscode.Disposable[] = [];
      const finish = (decisions: Map<string, Decision> | undefined) => {
        for (const d of disposables) d.dispose();
        if (this.picker === picker) this.picker = undefined;
        if (this.openReview?.turnId === params.turnId) this.openReview = undefined;
        picker.dispose();
        resolve(decisions);
      };
      const decide = (accepted: readonly ReviewItem[]) => {
        const ids = new Set(accepted.map((i) => i.change.id));
        finish(new Map(params.changes.map((c) => [c.id, ids.has(c.id) ? 'accepted' : 'rejected'])));
      };
      disposables.push(
        picker.onDidAccept(() => decide(picker.selectedItems)),
        picker.onDidTriggerButton((button) => decide(button === ACCEPT_ALL ? items : [])),
        picker.onDidTriggerItemButton((e) => void this.showDiff(e.item.change, virtualDocs)),
        picker.onDidHide(() => {
          if (this.picker === picker) activity('hidden');
        }),
        token.onCancellationRequested(() => finish(undefined)),
      );
      this.openReview = { turnId: params.turnId, cancel: () => finish(undefined) };
      // The turn may have ended while the diffs opened.
      if (this.endedTurns.has(params.turnId) || token.isCancellationRequested) finish(undefined);
      else picker.show();
    });
  }

  /** Applies the accepted changes in order; records the applied ones for undo. */
  private async applyAccepted(
    params: ReviewChangesParams,
    decisions: ReadonlyMap<string, Decision>,
  ): Promise<Map<string, { conflict?: string; error?: string }>> {
    const outcomes = new Map<string, { conflict?: string; error?: string }>();
    const applied: AppliedChange[] = [];
    for (const change of params.changes) {
      if (decisions.get(change.id) !== 'accepted') continue;
      try {
        const state = await fileState(uriOf(change.uri));
        const target = change.newUri ? await fileState(uriOf(change.newUri)) : undefined;
        const conflict = conflictReason(change, state, target);
        if (conflict) {
          outcomes.set(change.id, { conflict });
          continue;
        }
        const error = await applyChange(change, state);
        outcomes.set(change.id, error ? { error } : {});
        if (!error) {
          // What the file holds now (line breaks, format on save), for undo to compare with.
          const after = change.after === null ? null : ((await fileState(uriOf(change.uri))).text ?? change.after);
          const record: AppliedChange = { id: change.id, kind: change.kind, uri: change.uri, before: change.before, after };
          if (change.newUri) record.newUri = change.newUri;
          applied.push(record);
        }
      } catch (error) {
        outcomes.set(change.id, { error: errorMessage(error) });
      }
    }
    const same = this.lastTurn && this.lastTurn.sessionId === params.sessionId && this.lastTurn.turnId === params.turnId;
    // A later turn replaces the undoable one, even when nothing of it was applied.
    this.lastTurn = same ? { ...this.lastTurn!, changes: [...this.lastTurn!.changes, ...applied] } : { sessionId: params.sessionId, turnId: params.turnId, changes: applied };
    this.turnEmitter.fire({ turnId: params.turnId, applied: this.lastTurn.changes.length, undone: false });
    return outcomes;
  }

  /** "Victor: Undo Last Agent Turn": restores what the last agent turn changed. */
  async undoLastTurn(): Promise<void> {
    const record = this.lastTurn;
    if (!record || record.changes.length === 0) {
      void vscode.window.showInformationMessage('Victor: no agent turn to undo (nothing of the last one was applied).');
      return;
    }
    const steps: Array<{ change: AppliedChange; state: FileState; step: UndoStep }> = [];
    for (const change of undoOrder(record)) {
      const state = await fileState(uriOf(change.uri));
      const target = change.newUri ? await fileState(uriOf(change.newUri)) : undefined;
      steps.push({ change, state, step: undoStep(change, state, target) });
    }
    const unsafe = steps.filter((s) => !s.step.safe);
    let forceUnsafe = false;
    if (unsafe.some((s) => s.step.force)) {
      const choice = await vscode.window.showWarningMessage(
        `Victor: ${unsafe.map((s) => s.step.reason).join('; ')}. Restore ${unsafe.length === 1 ? 'it' : 'them'} as before the agent's turn anyway? Later changes to ${unsafe.length === 1 ? 'it' : 'them'} would be lost.`,
        { modal: true },
        'Restore Anyway',
        'Skip',
      );
      if (choice === undefined) return;
      forceUnsafe = choice === 'Restore Anyway';
    }
    const done: string[] = [];
    const skipped: string[] = [];
    for (const { change, step } of steps) {
      const name = label(change.uri);
      if (step.op === 'none') continue;
      if (!step.safe && !(step.force && forceUnsafe)) {
        skipped.push(step.reason ?? name);
        continue;
      }
      const error = await runUndoStep(step);
      if (error) skipped.push(`${name}: ${error}`);
      else done.push(name);
    }
    this.lastTurn = undefined;
    this.turnEmitter.fire({ turnId: record.turnId, applied: 0, undone: true });
    const summary = done.length ? `restored ${done.join(', ')}` : 'nothing restored';
    const message = `Victor: undid the last agent turn: ${summary}${skipped.length ? `; left as they are: ${skipped.join('; ')}` : ''}.`;
    if (skipped.length) void vscode.window.showWarningMessage(message);
    else void vscode.window.showInformationMessage(message);
  }

  dispose(): void {
    this.picker?.dispose();
    this.activityEmitter.dispose();
    this.turnEmitter.dispose();
  }
}

async function applyChange(change: ReviewChange, state: FileState): Promise<string | undefined> {
  const uri = uriOf(change.uri);
  switch (change.kind) {
    case 'edit':
    case 'create':
      return writeText(uri, change.after ?? '', state);
    case 'delete':
      return deleteFile(uri);
    case 'rename':
      return renameFile(uri, uriOf(change.newUri ?? ''));
  }
}

async function runUndoStep(step: UndoStep): Promise<string | undefined> {
  switch (step.op) {
    case 'write':
      return writeText(uriOf(step.uri), step.text, await fileState(uriOf(step.uri)));
    case 'delete':
      return deleteFile(uriOf(step.uri));
    case 'rename':
      return renameFile(uriOf(step.from), uriOf(step.to));
    case 'none':
      return undefined;
  }
}

/** Closes the review's diff editors and forgets their virtual documents. */
async function closeDiffs(virtualDocs: vscode.Uri[]): Promise<void> {
  const wanted = new Set(virtualDocs.map((u) => u.toString()));
  const tabs = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && wanted.has(t.input.modified.toString()));
  try {
    if (tabs.length > 0) await vscode.window.tabGroups.close(tabs, true);
  } finally {
    for (const uri of virtualDocs) proposals.remove(uri);
  }
}

/** "Victor: Undo Last Agent Turn" and "Victor: Review Agent Changes" (reopens a hidden review). */
export function registerAgentCommands(review: AgentReviewController): vscode.Disposable {
  const guarded = (fn: () => Promise<unknown> | unknown) => async () => {
    try {
      await fn();
    } catch (error) {
      void vscode.window.showErrorMessage(`Victor: ${errorMessage(error)}`);
    }
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand('victor.undoAgentTurn', guarded(() => review.undoLastTurn())),
    vscode.commands.registerCommand(
      'victor.reviewAgentChanges',
      guarded(() => {
        if (!review.reopen()) void vscode.window.showInformationMessage('Victor: no agent changes wait for review.');
      }),
    ),
  );
}
