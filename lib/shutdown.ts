import createDebug from 'debug';

const log = createDebug('gpio-aggfs:shutdown');

/** How long stopping waits for reads in flight to be answered before unmounting anyway. */
export const READ_ANSWER_GRACE_MS = 1000;

/** What stopping a running service does, step by step. */
export interface ShutdownSteps {
  /** End every stream: waiting reads and later ones get end-of-file. */
  endStreams(): void;
  /** Resolves once no read is waiting for its answer (or after `graceMs`). */
  readsAnswered(graceMs: number): Promise<void>;
  /** Detach the filesystem: no request reaches it any more. */
  unmount(): Promise<void>;
  /** Delete the aggregators (their directories), release every line, close the backend and lock. */
  release(): void;
}

/**
 * Stop in an order no reader can observe half-done: every stream ends and is
 * answered while the tree it lives in is still whole; only once the mount is
 * gone are the aggregators deleted and their lines released. (Deleting the
 * aggregators first removed their directories under a process that was
 * still opening its `events` file, which then failed with ENOENT.)
 */
export async function shutDown(steps: ShutdownSteps, graceMs = READ_ANSWER_GRACE_MS): Promise<void> {
  log('ending streams');
  steps.endStreams();
  await steps.readsAnswered(graceMs);
  log('unmounting');
  try {
    await steps.unmount();
  } finally {
    log('releasing');
    steps.release();
  }
}
