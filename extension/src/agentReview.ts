// The rules of reviewing an agent turn's change set (victor/reviewChanges) and of undoing it:
// which change may be applied (the file must still be what the agent saw), what the server is
// answered, and what "undo the last agent turn" may restore. Pure: no `vscode` import, so it is
// unit-tested with node's test runner; agentReviewUi.ts does the editor work.
import type { ChangeKind, ChangeResult, ReviewChange, ReviewChangesParams } from './protocol';

const KINDS: readonly ChangeKind[] = ['edit', 'create', 'delete', 'rename'];

/** Checks the shape of `victor/reviewChanges` params; throws an Error naming what is wrong. */
export function parseReviewParams(raw: unknown): ReviewChangesParams {
  if (!raw || typeof raw !== 'object') throw new Error('victor/reviewChanges: params must be an object');
  const p = raw as Record<string, unknown>;
  if (typeof p.sessionId !== 'string' || !p.sessionId) throw new Error('victor/reviewChanges: sessionId must be a non-empty string');
  if (typeof p.turnId !== 'string' || !p.turnId) throw new Error('victor/reviewChanges: turnId must be a non-empty string');
  if (!Array.isArray(p.changes)) throw new Error('victor/reviewChanges: changes must be an array');
  const seen = new Set<string>();
  const changes = p.changes.map((c: unknown, i: number): ReviewChange => {
    const where = `victor/reviewChanges: changes[${i}]`;
    if (!c || typeof c !== 'object') throw new Error(`${where} must be an object`);
    const r = c as Record<string, unknown>;
    if (typeof r.id !== 'string' || !r.id) throw new Error(`${where}.id must be a non-empty string`);
    if (seen.has(r.id)) throw new Error(`${where}.id "${r.id}" is used twice`);
    seen.add(r.id);
    if (!KINDS.includes(r.kind as ChangeKind)) throw new Error(`${where}.kind must be one of ${KINDS.join(', ')}`);
    const kind = r.kind as ChangeKind;
    if (typeof r.uri !== 'string' || !r.uri) throw new Error(`${where}.uri must be a non-empty string`);
    const version = r.version ?? null;
    if (version !== null && !(typeof version === 'number' && Number.isInteger(version))) throw new Error(`${where}.version must be an integer or null`);
    const before = r.before ?? null;
    const after = r.after ?? null;
    if (before !== null && typeof before !== 'string') throw new Error(`${where}.before must be a string or null`);
    if (after !== null && typeof after !== 'string') throw new Error(`${where}.after must be a string or null`);
    if ((kind === 'edit' || kind === 'create') && after === null) throw new Error(`${where}.after is required for ${kind}`);
    if (kind === 'edit' && before === null) throw new Error(`${where}.before is required for edit`);
    const change: ReviewChange = { id: r.id, kind, uri: r.uri, version, before, after };
    if (kind === 'rename') {
      if (typeof r.newUri !== 'string' || !r.newUri) throw new Error(`${where}.newUri is required for rename`);
      change.newUri = r.newUri;
    }
    return change;
  });
  const params: ReviewChangesParams = { sessionId: p.sessionId, turnId: p.turnId, changes };
  if (typeof p.folder === 'string') params.folder = p.folder;
  return params;
}

/** A file as the editor sees it now: the open document (text, version), else the disk. */
export interface FileState {
  exists: boolean;
  /** The open document's text, else the file's (undefined when unreadable, e.g. binary). */
  text?: string;
  /** The document's version when it is open in the editor. */
  openVersion?: number;
}

/** The last path segment of a URI (for messages). */
export function fileName(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(name) || uri;
  } catch {
    return name || uri;
  }
}

/**
 * Why `change` may not be applied to the file as it is now (`target`: the rename's new path),
 * or undefined when it may. The rule: the file must still be what the agent computed the change
 * against, else applying it would clobber the user's work.
 */
export function conflictReason(change: ReviewChange, state: FileState, target?: FileState): string | undefined {
  const name = fileName(change.uri);
  if (change.kind === 'create') {
    return state.exists ? `${name} exists already` : undefined;
  }
  if (!state.exists) return `${name} no longer exists`;
  if (change.version !== null && state.openVersion !== undefined && state.openVersion !== change.version) {
    return `${name} changed since (version ${state.openVersion}, expected ${change.version})`;
  }
  if (change.before !== null && state.text !== undefined && state.text !== change.before) {
    return `${name} changed since the agent read it`;
  }
  if (change.before !== null && state.text === undefined) return `${name} cannot be read as text`;
  if (change.kind === 'rename' && target?.exists) return `${fileName(change.newUri ?? '')} exists already`;
  return undefined;
}

export type Decision = 'accepted' | 'rejected';

/**
 * The answer to the server, one result per change in the order of `changes`: a rejected change
 * is `rejected`; an accepted one `conflict` (it may not be applied), `failed` (applying it
 * failed) or `accepted`. A change without a decision (the review was cancelled) is rejected.
 */
export function reviewResults(
  changes: readonly ReviewChange[],
  decisions: ReadonlyMap<string, Decision>,
  outcomes: ReadonlyMap<string, { conflict?: string; error?: string }>,
  undecidedReason = 'not reviewed',
): ChangeResult[] {
  return changes.map((c) => {
    const decision = decisions.get(c.id);
    if (decision === undefined) return { id: c.id, status: 'rejected', reason: undecidedReason };
    if (decision === 'rejected') return { id: c.id, status: 'rejected' };
    const outcome = outcomes.get(c.id);
    if (outcome?.conflict) return { id: c.id, status: 'conflict', reason: outcome.conflict };
    if (outcome?.error) return { id: c.id, status: 'failed', reason: outcome.error };
    if (!outcome) return { id: c.id, status: 'failed', reason: 'not applied' };
    return { id: c.id, status: 'accepted' };
  });
}

/** The smallest single replacement turning `before` into `after` (offsets into `before`). */
export function minimalReplacement(before: string, after: string): { start: number; end: number; text: string } {
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  // Never split a surrogate pair or a CRLF.
  if (start > 0 && (isHighSurrogate(before.charCodeAt(start - 1)) || (before[start - 1] === '\r' && before[start] === '\n'))) start--;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  if (end > 0 && (isLowSurrogate(before.charCodeAt(before.length - end)) || (before[before.length - end] === '\n' && before[before.length - end - 1] === '\r'))) end--;
  return { start, end: before.length - end, text: after.slice(start, after.length - end) };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** A change that was accepted and applied: what "undo the last agent turn" restores. */
export interface AppliedChange {
  id: string;
  kind: ChangeKind;
  uri: string;
  newUri?: string;
  before: string | null;
  after: string | null;
}

export interface AgentTurnRecord {
  sessionId: string;
  turnId: string;
  changes: AppliedChange[];
}

/**
 * One step of undoing an applied change: `write` puts `text` into `uri` (creating it when
 * missing), `delete` removes `uri`, `rename` moves `from` back to `to`, `none` has nothing left
 * to undo. `safe` is false when the file no longer holds the agent's result (the user changed
 * it since): the caller asks before doing it; `force` false means it cannot be done at all.
 */
export type UndoStep =
  | { op: 'write'; uri: string; text: string; safe: boolean; force: boolean; reason?: string }
  | { op: 'delete'; uri: string; safe: boolean; force: boolean; reason?: string }
  | { op: 'rename'; from: string; to: string; safe: boolean; force: boolean; reason?: string }
  | { op: 'none'; uri: string; safe: true; force: false; reason: string };

/** How to undo `change` given the file now (`target`: the renamed file now). */
export function undoStep(change: AppliedChange, state: FileState, target?: FileState): UndoStep {
  const name = fileName(change.uri);
  const holdsAgentText = state.exists && state.text !== undefined && state.text === change.after;
  switch (change.kind) {
    case 'edit': {
      const text = change.before ?? '';
      if (holdsAgentText) return { op: 'write', uri: change.uri, text, safe: true, force: true };
      const reason = state.exists ? `${name} changed since the agent's edit` : `${name} was deleted since the agent's edit`;
      return { op: 'write', uri: change.uri, text, safe: false, force: true, reason };
    }
    case 'create': {
      if (!state.exists) return { op: 'none', uri: change.uri, safe: true, force: false, reason: `${name} is gone already` };
      if (holdsAgentText) return { op: 'delete', uri: change.uri, safe: true, force: true };
      return { op: 'delete', uri: change.uri, safe: false, force: true, reason: `${name} changed since the agent created it` };
    }
    case 'delete': {
      const text = change.before ?? '';
      if (!state.exists) return { op: 'write', uri: change.uri, text, safe: true, force: true };
      return { op: 'write', uri: change.uri, text, safe: false, force: true, reason: `${name} was created again since` };
    }
    case 'rename': {
      const to = change.uri;
      const from = change.newUri ?? '';
      if (target?.exists && !state.exists) return { op: 'rename', from, to, safe: true, force: true };
      const reason = !target?.exists
        ? `${fileName(from)} no longer exists`
        : `${name} exists again, so ${fileName(from)} cannot be renamed back`;
      return { op: 'rename', from, to, safe: false, force: false, reason };
    }
  }
}

/** The order to undo a turn's changes in: the reverse of the order they were applied in. */
export function undoOrder(record: AgentTurnRecord): AppliedChange[] {
  return [...record.changes].reverse();
}
