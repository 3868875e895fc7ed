import { AggregatedLine } from './aggregated-line.js';

export const AGGREGATOR_PREFIX = 'gpio-agg.';

/** One aggregator: a numbered group of held lines, created from a spec. */
export class Aggregator {
  private readonly closeListeners = new Set<() => void>();
  private closed = false;

  constructor(
    readonly id: number,
    /** The normalised spec it was created from. */
    readonly spec: string,
    readonly lines: readonly AggregatedLine[],
  ) {}

  get name(): string {
    return `${AGGREGATOR_PREFIX}${this.id}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Run `listener` once when the aggregator is deleted. Returns an unsubscribe function. */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      queueMicrotask(listener);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Release every line and tell everyone waiting on this aggregator. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const line of this.lines) line.release();
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener();
  }
}
