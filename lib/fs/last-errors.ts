import type { Caller } from './caller.js';

/** Users whose last failure is kept; the least recently failing one is forgotten first. */
export const MAX_CALLERS = 256;
/** A message is kept up to this many characters (one page of `last_error`; a spec may be 64 KiB). */
export const MAX_MESSAGE = 4096;

/**
 * `agg/last_error`: the last failed control write of each user, by uid, so
 * that one user's failure neither hides nor shows another's. Memory is
 * bounded whatever users do: a caller's uid comes from the kernel, so one
 * user holds one entry, at most MAX_CALLERS users are remembered, and each
 * message is cut to MAX_MESSAGE characters.
 */
export class LastErrors {
  private readonly byUid = new Map<number, string>();

  constructor(private readonly maxCallers = MAX_CALLERS) {}

  record(caller: Caller, message: string): void {
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 2)}…\n` : message;
    // Re-inserted, so that Map order is least recently failing first.
    this.byUid.delete(caller.uid);
    this.byUid.set(caller.uid, text);
    if (this.byUid.size > this.maxCallers) this.byUid.delete(this.byUid.keys().next().value as number);
  }

  /** The caller's own last failure, "" if none is kept. */
  of(caller: Caller): string {
    return this.byUid.get(caller.uid) ?? '';
  }

  get size(): number {
    return this.byUid.size;
  }
}
