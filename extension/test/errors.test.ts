import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCode, errorKind, errorMessage } from '../src/errors';

describe('errorMessage', () => {
  it('takes the message of an Error, of an error-like object, else the value as text', () => {
    assert.equal(errorMessage(new Error('no API key')), 'no API key');
    assert.equal(errorMessage({ code: -32603, message: 'internal' }), 'internal');
    assert.equal(errorMessage('plain text'), 'plain text');
    assert.equal(errorMessage(undefined), 'undefined');
  });
});

describe('errorCode', () => {
  it('is the numeric JSON-RPC code, undefined otherwise', () => {
    assert.equal(errorCode({ code: -32800, message: 'cancelled' }), -32800);
    assert.equal(errorCode({ code: 'ENOENT' }), undefined);
    assert.equal(errorCode(new Error('no code')), undefined);
    assert.equal(errorCode(null), undefined);
  });
});

describe('errorKind', () => {
  it("is the server's data.kind when it is a string", () => {
    assert.equal(errorKind({ code: -32603, message: 'bad key', data: { kind: 'auth' } }), 'auth');
    assert.equal(errorKind({ data: { kind: 7 } }), undefined);
    assert.equal(errorKind({ data: null }), undefined);
    assert.equal(errorKind({ message: 'no data' }), undefined);
  });
});
