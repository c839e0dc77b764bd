// Restart-on-crash policy: exponential backoff, reset after a stable run, give up after a
// number of quick crashes in a row. Pure (the clock is injected).

export interface BackoffOptions {
  /** Delay before the first restart. */
  initialMs: number;
  /** Multiplier between consecutive delays. */
  factor: number;
  /** Largest delay. */
  maxMs: number;
  /** Give up after this many restarts in a row without a stable run. */
  maxRestarts: number;
  /** A run at least this long counts as stable and resets the schedule. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 1000,
  factor: 2,
  maxMs: 30_000,
  maxRestarts: 6,
  stableAfterMs: 60_000,
};

/** The delay before restart number `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const raw = options.initialMs * Math.pow(options.factor, Math.max(0, attempt));
  return Math.min(options.maxMs, Math.round(raw));
}

/** The whole schedule: the delays of every restart before giving up. */
export function backoffSchedule(options: BackoffOptions = DEFAULT_BACKOFF): number[] {
  return Array.from({ length: options.maxRestarts }, (_, i) => backoffDelay(i, options));
}

export type RestartDecision =
  | { restart: true; delayMs: number; attempt: number }
  | { restart: false; attempts: number };

export class RestartPolicy {
  private attempts = 0;
  private startedAt: number | undefined;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly now: () => number = Date.now,
  ) {}

  /** The server is up (call when a start succeeded). */
  started(): void {
    this.startedAt = this.now();
  }

  /** The server stopped unexpectedly, or failed to start: restart, and when? */
  crashed(): RestartDecision {
    if (this.startedAt !== undefined && this.now() - this.startedAt >= this.options.stableAfterMs) {
      this.attempts = 0;
    }
    this.startedAt = undefined;
    if (this.attempts >= this.options.maxRestarts) {
      return { restart: false, attempts: this.attempts };
    }
    const attempt = this.attempts++;
    return { restart: true, delayMs: backoffDelay(attempt, this.options), attempt };
  }

  /** Forget past crashes (a restart asked for by the user). */
  reset(): void {
    this.attempts = 0;
    this.startedAt = undefined;
  }
}
