import { constants } from 'node:os';

/** The errno names gpio-aggfs reports. Each maps to the host's errno number. */
export type ErrnoName =
  | 'EPERM' | 'ENOENT' | 'EIO' | 'ENXIO' | 'EBADF' | 'EAGAIN' | 'EACCES' | 'EBUSY'
  | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'EINVAL' | 'ENOSPC' | 'ERANGE' | 'ENOSYS'
  | 'ENOTEMPTY' | 'ENODEV' | 'EOPNOTSUPP' | 'ETIMEDOUT' | 'EINTR' | 'ENOTCONN' | 'ENOTTY' | 'ENOMEM'
  | 'EROFS' | 'EDQUOT' | 'EFBIG' | 'ELOOP' | 'EMFILE' | 'ENFILE';

/**
 * The one error type of gpio-aggfs: thrown where a failure is detected,
 * carrying the errno that the caller (a FUSE request, a CLI command) reports.
 */
export class GpioAggError extends Error {
  readonly code: ErrnoName;

  constructor(code: ErrnoName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GpioAggError';
    this.code = code;
  }

  /** The positive errno number for this error on this host. */
  get errno(): number {
    return errnoNumber(this.code);
  }
}

export function errnoNumber(code: ErrnoName): number {
  const n = (constants.errno as Record<string, number>)[code];
  if (n === undefined) throw new Error(`unknown errno ${code}`);
  return n;
}

const KNOWN = new Set<string>([
  'EPERM', 'ENOENT', 'EIO', 'ENXIO', 'EBADF', 'EAGAIN', 'EACCES', 'EBUSY', 'EEXIST', 'ENOTDIR',
  'EISDIR', 'EINVAL', 'ENOSPC', 'ERANGE', 'ENOSYS', 'ENOTEMPTY', 'ENODEV', 'EOPNOTSUPP',
  'ETIMEDOUT', 'EINTR', 'ENOTCONN', 'ENOTTY', 'ENOMEM', 'EROFS', 'EDQUOT', 'EFBIG', 'ELOOP', 'EMFILE', 'ENFILE',
]);

/** The errno name gpio-aggfs uses for a host errno number, if it has one. */
export function errnoName(errno: number): ErrnoName | undefined {
  const entry = Object.entries(constants.errno as Record<string, number>).find(([name, n]) => n === errno && KNOWN.has(name));
  return entry?.[0] as ErrnoName | undefined;
}

/**
 * Wrap an error thrown by a system library (node-libgpiod and fs throw Errors
 * with a string `code`) as a GpioAggError, keeping its errno when known.
 */
export function fromSystemError(err: unknown, context: string, fallback: ErrnoName = 'EIO'): GpioAggError {
  if (err instanceof GpioAggError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const name: ErrnoName = typeof code === 'string' && KNOWN.has(code) ? (code as ErrnoName) : fallback;
  const detail = err instanceof Error ? err.message : String(err);
  return new GpioAggError(name, `${context}: ${detail}`, { cause: err });
}
