import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BACKOFF, RestartPolicy, backoffDelay, backoffSchedule } from '../src/backoff';

describe('backoff schedule', () => {
  it('doubles from 1 s and caps at 30 s', () => {
    assert.deepEqual(backoffSchedule(), [1000, 2000, 4000, 8000, 16000, 30000]);
    assert.equal(backoffDelay(10), 30_000);
    assert.equal(backoffDelay(-1), 1000);
  });

  it('honours custom options', () => {
    assert.deepEqual(backoffSchedule({ ...DEFAULT_BACKOFF, initialMs: 500, factor: 3, maxMs: 5000, maxRestarts: 4 }), [
      500, 1500, 4500, 5000,
    ]);
  });
});

describe('RestartPolicy', () => {
  it('restarts with growing delays, then gives up', () => {
    let now = 0;
    const policy = new RestartPolicy(DEFAULT_BACKOFF, () => now);
    const delays: number[] = [];
    for (;;) {
      policy.started();
      now += 100; // crashes right after starting
      const d = policy.crashed();
      if (!d.restart) {
        assert.equal(d.attempts, DEFAULT_BACKOFF.maxRestarts);
        break;
      }
      delays.push(d.delayMs);
      now += d.delayMs;
    }
    assert.deepEqual(delays, backoffSchedule());
  });

  it('resets after a stable run', () => {
    let now = 0;
    const policy = new RestartPolicy(DEFAULT_BACKOFF, () => now);
    policy.started();
    now += 10;
    assert.deepEqual(policy.crashed(), { restart: true, delayMs: 1000, attempt: 0 });
    policy.started();
    now += 10;
    assert.deepEqual(policy.crashed(), { restart: true, delayMs: 2000, attempt: 1 });
    policy.started();
    now += DEFAULT_BACKOFF.stableAfterMs;
    assert.deepEqual(policy.crashed(), { restart: true, delayMs: 1000, attempt: 0 });
  });

  it('counts failed starts (no started() in between) and reset() forgets them', () => {
    const policy = new RestartPolicy({ ...DEFAULT_BACKOFF, maxRestarts: 2 }, () => 0);
    assert.equal(policy.crashed().restart, true);
    assert.equal(policy.crashed().restart, true);
    assert.equal(policy.crashed().restart, false);
    policy.reset();
    assert.deepEqual(policy.crashed(), { restart: true, delayMs: 1000, attempt: 0 });
  });
});
