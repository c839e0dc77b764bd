import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conflictReason,
  fileName,
  minimalReplacement,
  parseReviewParams,
  reviewResults,
  undoOrder,
  undoStep,
  type AppliedChange,
  type Decision,
} from '../src/agentReview';
import type { ReviewChange } from '../src/protocol';

// The example of AGENT_PROTOCOL.md / docs/protocol.md.
const CONTRACT = {
  sessionId: 's1',
  turnId: 't1',
  folder: 'file:///w',
  changes: [
    { id: 'c1', kind: 'edit', uri: 'file:///w/a.py', version: 7, before: 'old full text', after: 'new full text' },
    { id: 'c2', kind: 'create', uri: 'file:///w/b.py', version: null, before: null, after: 'text' },
    { id: 'c3', kind: 'delete', uri: 'file:///w/c.py', version: null, before: 'text', after: null },
    { id: 'c4', kind: 'rename', uri: 'file:///w/d.py', newUri: 'file:///w/e.py', version: null, before: null, after: null },
  ],
};

const edit = (over: Partial<ReviewChange> = {}): ReviewChange => ({
  id: 'c1',
  kind: 'edit',
  uri: 'file:///w/a.py',
  version: 7,
  before: 'x = 1\n',
  after: 'x = 2\n',
  ...over,
});

const apply = (before: string, after: string) => {
  const r = minimalReplacement(before, after);
  return before.slice(0, r.start) + r.text + before.slice(r.end);
};

describe('parseReviewParams', () => {
  it("accepts the contract's example as it is", () => {
    const params = parseReviewParams(CONTRACT);
    assert.equal(params.changes.length, 4);
    assert.equal(params.changes[3]!.newUri, 'file:///w/e.py');
    assert.equal(params.changes[0]!.version, 7);
    assert.equal(params.folder, 'file:///w');
  });

  it('names what is wrong', () => {
    const bad = (changes: unknown[], pattern: RegExp) =>
      assert.throws(() => parseReviewParams({ sessionId: 's', turnId: 't', changes }), pattern);
    bad([{ id: 'c1', kind: 'chmod', uri: 'file:///a' }], /changes\[0\]\.kind must be one of edit, create, delete, rename/);
    bad([{ id: 'c1', kind: 'edit', uri: 'file:///a', before: 'x', version: null }], /changes\[0\]\.after is required for edit/);
    bad([{ id: 'c1', kind: 'rename', uri: 'file:///a', version: null }], /changes\[0\]\.newUri is required for rename/);
    bad([{ id: 'c1', kind: 'edit', uri: 'file:///a', before: 'x', after: 'y', version: 1.5 }], /version must be an integer or null/);
    bad(
      [
        { id: 'c1', kind: 'create', uri: 'file:///a', after: 'y' },
        { id: 'c1', kind: 'create', uri: 'file:///b', after: 'y' },
      ],
      /changes\[1\]\.id "c1" is used twice/,
    );
    assert.throws(() => parseReviewParams({ turnId: 't', changes: [] }), /sessionId/);
    assert.throws(() => parseReviewParams(null), /params must be an object/);
  });
});

describe('conflictReason (never clobber what the user changed)', () => {
  it('lets an edit through when the open document is at the version and text the agent saw', () => {
    assert.equal(conflictReason(edit(), { exists: true, text: 'x = 1\n', openVersion: 7 }), undefined);
  });

  it('refuses an edit of a document edited since, naming both versions', () => {
    assert.equal(conflictReason(edit(), { exists: true, text: 'x = 1\n# mine\n', openVersion: 8 }), 'a.py changed since (version 8, expected 7)');
  });

  it('compares the text when the change was computed from disk, or the document was closed since', () => {
    const fromDisk = edit({ version: null });
    assert.equal(conflictReason(fromDisk, { exists: true, text: 'x = 1\n' }), undefined);
    assert.equal(conflictReason(fromDisk, { exists: true, text: 'x = 3\n' }), 'a.py changed since the agent read it');
    // Opened and edited by the user after the agent read it from disk.
    assert.equal(conflictReason(fromDisk, { exists: true, text: 'x = 3\n', openVersion: 2 }), 'a.py changed since the agent read it');
    assert.equal(conflictReason(edit(), { exists: true, text: 'x = 3\n' }), 'a.py changed since the agent read it');
  });

  it('refuses an edit of a deleted or unreadable file', () => {
    assert.equal(conflictReason(edit(), { exists: false }), 'a.py no longer exists');
    assert.equal(conflictReason(edit({ version: null }), { exists: true }), 'a.py cannot be read as text');
  });

  it('refuses to create over an existing file, to delete a changed one, to rename onto an existing one', () => {
    const create: ReviewChange = { id: 'c2', kind: 'create', uri: 'file:///w/b.py', version: null, before: null, after: 'y' };
    assert.equal(conflictReason(create, { exists: true, text: '' }), 'b.py exists already');
    assert.equal(conflictReason(create, { exists: false }), undefined);
    const del: ReviewChange = { id: 'c3', kind: 'delete', uri: 'file:///w/c.py', version: null, before: 'old', after: null };
    assert.equal(conflictReason(del, { exists: true, text: 'old' }), undefined);
    assert.equal(conflictReason(del, { exists: true, text: 'new' }), 'c.py changed since the agent read it');
    const rename: ReviewChange = { id: 'c4', kind: 'rename', uri: 'file:///w/d.py', newUri: 'file:///w/e.py', version: null, before: null, after: null };
    assert.equal(conflictReason(rename, { exists: true, text: 'd' }, { exists: false }), undefined);
    assert.equal(conflictReason(rename, { exists: true, text: 'd' }, { exists: true, text: 'e' }), 'e.py exists already');
    assert.equal(conflictReason(rename, { exists: false }, { exists: false }), 'd.py no longer exists');
  });
});

describe('reviewResults (the answer to the server)', () => {
  it('maps decisions and outcomes to one result per change, in order', () => {
    const changes = parseReviewParams(CONTRACT).changes;
    const decisions = new Map<string, Decision>([
      ['c1', 'accepted'],
      ['c2', 'rejected'],
      ['c3', 'accepted'],
      ['c4', 'accepted'],
    ]);
    const outcomes = new Map([
      ['c1', {}],
      ['c3', { conflict: 'c.py changed since the agent read it' }],
      ['c4', { error: 'the editor refused to rename the file' }],
    ]);
    assert.deepEqual(reviewResults(changes, decisions, outcomes), [
      { id: 'c1', status: 'accepted' },
      { id: 'c2', status: 'rejected' },
      { id: 'c3', status: 'conflict', reason: 'c.py changed since the agent read it' },
      { id: 'c4', status: 'failed', reason: 'the editor refused to rename the file' },
    ]);
  });

  it('rejects what was never decided (a cancelled turn) with the reason given', () => {
    const changes = parseReviewParams(CONTRACT).changes;
    const results = reviewResults(changes, new Map(), new Map(), 'the turn was cancelled');
    assert.deepEqual(new Set(results.map((r) => `${r.status}: ${r.reason}`)), new Set(['rejected: the turn was cancelled']));
    // Accepted but never applied is not reported as accepted.
    assert.deepEqual(reviewResults(changes.slice(0, 1), new Map([['c1', 'accepted']]), new Map()), [{ id: 'c1', status: 'failed', reason: 'not applied' }]);
  });
});

describe('minimalReplacement', () => {
  it('replaces only what differs, and applying it gives the new text', () => {
    const before = 'def f():\n    return 1\n\n\ndef g():\n    pass\n';
    const after = 'def f():\n    return 2\n\n\ndef g():\n    pass\n';
    const r = minimalReplacement(before, after);
    assert.deepEqual(r, { start: before.indexOf('1'), end: before.indexOf('1') + 1, text: '2' });
    for (const [b, a] of [
      ['', 'new'],
      ['old', ''],
      ['same', 'same'],
      ['aaa', 'aaaa'],
      ['x\r\ny', 'x\r\nz\r\ny'],
      ['a😀b', 'a😃b'],
    ]) {
      assert.equal(apply(b!, a!), a);
    }
  });

  it('never splits a surrogate pair or a CRLF', () => {
    const r = minimalReplacement('a😀b', 'a😃b');
    assert.equal(r.text, '😃');
    const crlf = minimalReplacement('a\r\nb', 'a\nb');
    assert.ok(crlf.start <= 1 && crlf.end >= 3, JSON.stringify(crlf));
  });
});

describe('undoStep (undo the last agent turn)', () => {
  const edited: AppliedChange = { id: 'c1', kind: 'edit', uri: 'file:///w/a.py', before: 'x = 1\n', after: 'x = 2\n' };

  it("restores an edited file that still holds the agent's text, without asking", () => {
    assert.deepEqual(undoStep(edited, { exists: true, text: 'x = 2\n' }), { op: 'write', uri: 'file:///w/a.py', text: 'x = 1\n', safe: true, force: true });
  });

  it('asks before restoring a file the user changed since (or deleted)', () => {
    const changed = undoStep(edited, { exists: true, text: 'x = 2\ny = 3\n', openVersion: 9 });
    assert.equal(changed.safe, false);
    assert.equal(changed.reason, "a.py changed since the agent's edit");
    assert.equal(undoStep(edited, { exists: false }).reason, "a.py was deleted since the agent's edit");
  });

  it('deletes a created file, recreates a deleted one, renames back', () => {
    const created: AppliedChange = { id: 'c2', kind: 'create', uri: 'file:///w/b.py', before: null, after: 'new\n' };
    assert.deepEqual(undoStep(created, { exists: true, text: 'new\n' }), { op: 'delete', uri: 'file:///w/b.py', safe: true, force: true });
    assert.equal(undoStep(created, { exists: true, text: 'new\nmine\n' }).safe, false);
    assert.equal(undoStep(created, { exists: false }).op, 'none');
    const deleted: AppliedChange = { id: 'c3', kind: 'delete', uri: 'file:///w/c.py', before: 'old\n', after: null };
    assert.deepEqual(undoStep(deleted, { exists: false }), { op: 'write', uri: 'file:///w/c.py', text: 'old\n', safe: true, force: true });
    assert.equal(undoStep(deleted, { exists: true, text: 'other' }).safe, false);
    const renamed: AppliedChange = { id: 'c4', kind: 'rename', uri: 'file:///w/d.py', newUri: 'file:///w/e.py', before: null, after: null };
    assert.deepEqual(undoStep(renamed, { exists: false }, { exists: true, text: '' }), { op: 'rename', from: 'file:///w/e.py', to: 'file:///w/d.py', safe: true, force: true });
    // The old name is taken again: renaming back would overwrite it, so it cannot be forced.
    const blocked = undoStep(renamed, { exists: true, text: '' }, { exists: true, text: '' });
    assert.equal(blocked.safe, false);
    assert.equal(blocked.force, false);
  });

  it('undoes in the reverse order of application', () => {
    const second: AppliedChange = { ...edited, id: 'c2', before: 'x = 2\n', after: 'x = 3\n' };
    assert.deepEqual(
      undoOrder({ sessionId: 's', turnId: 't', changes: [edited, second] }).map((c) => c.id),
      ['c2', 'c1'],
    );
  });
});

describe('fileName', () => {
  it('takes the last segment, decoded', () => {
    assert.equal(fileName('file:///w/src/my%20file.py'), 'my file.py');
    assert.equal(fileName('file:///w/a.py?x=1'), 'a.py');
  });
});
