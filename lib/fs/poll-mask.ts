/** poll(2) event bits (include/uapi/asm-generic/poll.h), as files of the tree report them. */
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLRDNORM = 0x040;
export const POLLWRNORM = 0x100;
/** What a file without a poll method answers (include/linux/poll.h): always readable and writable. */
export const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
/** What sysfs adds to a changed attribute (sysfs_notify): select's exceptfds, poll's POLLPRI. */
export const CHANGED_POLLMASK = DEFAULT_POLLMASK | POLLPRI | POLLERR;
