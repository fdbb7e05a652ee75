/**
 * When to try again after a temporary failure: quickly at first (a peer restarting),
 * then spaced out, capped, with jitter so that a queue of thousands does not hammer a
 * peer that comes back all at the same second.
 */
export interface BackoffPolicy {
  /** Delay before the second attempt, in seconds. */
  firstDelaySeconds: number;
  /** Each further delay is the previous one times this. */
  factor: number;
  maxDelaySeconds: number;
  /** ± fraction of the delay added at random. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { firstDelaySeconds: 60, factor: 2, maxDelaySeconds: 4 * 3600, jitter: 0.1 };

/** Seconds to wait after the `attempts`-th failed attempt (1-based). */
export function retryDelaySeconds(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelaySeconds, policy.firstDelaySeconds * policy.factor ** Math.max(0, attempts - 1));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(1, Math.round(base + spread));
}
