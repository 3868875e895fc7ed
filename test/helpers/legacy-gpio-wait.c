/*
 * A legacy sysfs GPIO program, written as such software is written against
 * the kernel's /sys/class/gpio (Documentation/ABI/obsolete/sysfs-gpio,
 * Documentation/admin-guide/gpio/sysfs.rst): only the hard-coded paths below,
 * nothing that knows of gpio-aggfs.
 *
 *   legacy-gpio-wait GPIO WAKES TIMEOUT_MS
 *
 * Exports GPIO (EBUSY: already exported), makes it an input with edge
 * "both", opens gpioN/value and reads it once, then waits for edges with
 * select() on exceptfds; after each wake-up it reads the value again from
 * offset 0 (lseek + read, as the documentation says). It unexports the GPIO
 * before it ends, whatever happened.
 *
 * Lines on stdout: "exported" or "already-exported"; "initial V";
 * "waiting" before the first select; "wake V" per wake-up; "timeout";
 * "error STEP ERRNO" (STEP one of export, direction, edge, open, read,
 * select, unexport); "unexported".
 * Exit status: 0 after WAKES wake-ups, 2 when a select timed out first
 * (TIMEOUT_MS each), 1 on an error, 64 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#define SYSFS_GPIO "/sys/class/gpio"

static void say(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vprintf(format, args);
  va_end(args);
  putchar('\n');
  fflush(stdout);
}

static const char *errno_name(int err) {
  switch (err) {
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case EBUSY: return "EBUSY";
  case EINVAL: return "EINVAL";
  case ENOENT: return "ENOENT";
  case EIO: return "EIO";
  case EINTR: return "EINTR";
  case ENOTCONN: return "ENOTCONN";
  case EBADF: return "EBADF";
  default: return strerror(err);
  }
}

static int fail(const char *step, int err) {
  say("error %s %s", step, errno_name(err));
  return -1;
}

/* `echo text > path`: one write of the whole text; 0 or the errno. */
static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text, strlen(text));
  int err = n < 0 ? errno : 0;
  if (close(fd) < 0 && err == 0) err = errno;
  return err;
}

/* The value from offset 0, as one character; -1 on an error (printed). */
static int read_value(int fd, char *value) {
  char buf[16];
  if (lseek(fd, 0, SEEK_SET) < 0) return fail("read", errno);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) return fail("read", errno);
  if (n == 0) return fail("read", EIO);
  *value = buf[0];
  return 0;
}

static int wait_for_edges(const char *gpio, int wakes, int timeout_ms) {
  char path[128];
  char value;
  int err;
  snprintf(path, sizeof path, SYSFS_GPIO "/gpio%s/direction", gpio);
  if ((err = write_file(path, "in")) != 0) return fail("direction", err);
  snprintf(path, sizeof path, SYSFS_GPIO "/gpio%s/edge", gpio);
  if ((err = write_file(path, "both")) != 0) return fail("edge", err);
  snprintf(path, sizeof path, SYSFS_GPIO "/gpio%s/value", gpio);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail("open", errno);
  if (read_value(fd, &value) < 0) { close(fd); return -1; }
  say("initial %c", value);
  say("waiting");
  for (int woken = 0; woken < wakes; woken++) {
    fd_set except;
    FD_ZERO(&except);
    FD_SET(fd, &except);
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    int r = select(fd + 1, NULL, NULL, &except, &tv);
    if (r < 0) { fail("select", errno); close(fd); return -1; }
    if (r == 0) { say("timeout"); close(fd); return 2; }
    if (read_value(fd, &value) < 0) { close(fd); return -1; }
    say("wake %c", value);
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s GPIO WAKES TIMEOUT_MS\n", argv[0]);
    return 64;
  }
  const char *gpio = argv[1];
  int wakes = atoi(argv[2]);
  int timeout_ms = atoi(argv[3]);
  char number[32];
  snprintf(number, sizeof number, "%s\n", gpio);

  int err = write_file(SYSFS_GPIO "/export", number);
  if (err == EBUSY) say("already-exported");
  else if (err != 0) { fail("export", err); return 1; }
  else say("exported");

  int result = wait_for_edges(gpio, wakes, timeout_ms);

  if ((err = write_file(SYSFS_GPIO "/unexport", number)) != 0) fail("unexport", err);
  else say("unexported");
  if (result < 0 || err != 0) return 1;
  return result;
}
