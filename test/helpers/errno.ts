/**
 * Tools like bash, cat, ls and chmod report a failed system call with
 * strerror() text; this maps that text back to the errno name so a test can
 * assert the exact errno a command got.
 */
const STRERROR: Record<string, string> = {
  'Operation not permitted': 'EPERM',
  'No such file or directory': 'ENOENT',
  'Input/output error': 'EIO',
  'Bad file descriptor': 'EBADF',
  'Resource temporarily unavailable': 'EAGAIN',
  'Permission denied': 'EACCES',
  'Device or resource busy': 'EBUSY',
  'File exists': 'EEXIST',
  'Not a directory': 'ENOTDIR',
  'Is a directory': 'EISDIR',
  'Invalid argument': 'EINVAL',
  'Numerical result out of range': 'ERANGE',
  'Directory not empty': 'ENOTEMPTY',
  'No such device': 'ENODEV',
  'Operation not supported': 'EOPNOTSUPP',
  'Read-only file system': 'EROFS',
  'No space left on device': 'ENOSPC',
  'Too many levels of symbolic links': 'ELOOP',
  'Too many open files': 'EMFILE',
  'Transport endpoint is not connected': 'ENOTCONN',
};

/** The errno named by the last strerror text in `stderr`, or undefined when none is there. */
export function errnoFromMessage(stderr: string): string | undefined {
  let found: { index: number; name: string } | undefined;
  for (const [text, name] of Object.entries(STRERROR)) {
    const index = stderr.lastIndexOf(text);
    if (index >= 0 && (found === undefined || index > found.index)) found = { index, name };
  }
  return found?.name;
}
