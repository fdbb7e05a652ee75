/**
 * Time as a dependency: the lifecycle rules, audit trail and queues read the clock
 * through this interface so tests can move time without sleeping.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and advance. */
export class ManualClock implements Clock {
  private current: Date;
  constructor(start: Date) { this.current = new Date(start); }
  now(): Date { return new Date(this.current); }
  set(to: Date): void { this.current = new Date(to); }
  advance(milliseconds: number): void { this.current = new Date(this.current.getTime() + milliseconds); }
}
