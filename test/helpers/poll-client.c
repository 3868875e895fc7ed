/*
 * A legacy GPIO client, for the poll tests: waits on one file the way sysfs
 * clients do and says what happened, one line at a time on stdout.
 *
 *   poll-client MODE PATH TIMEOUT_MS
 *
 * MODE (on `value`: open, read once, then wait for an exceptional condition):
 *   select-except  select() with the fd in exceptfds
 *   poll-pri       poll() for POLLPRI|POLLERR
 *   epoll-et       edge-triggered epoll for EPOLLPRI|EPOLLERR
 * then, after a wake-up, lseek(0) + read and one more check with timeout 0.
 * MODE (on `events`):
 *   select-read    select() with the fd in readfds; on a wake-up, read once
 *   read-eintr     one blocking read; SIGUSR1 (installed without SA_RESTART)
 *                  makes it fail, and the errno is printed
 *
 * Lines: "waiting" once the first wait begins; then "ready <mask>",
 * "timeout", "read <text>", "error <errno name>", "after-reread ready|quiet".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

static void say(const char *format, const char *text) {
  printf(format, text);
  putchar('\n');
  fflush(stdout);
}

static const char *errno_name(int err) {
  switch (err) {
  case EINTR: return "EINTR";
  case EAGAIN: return "EAGAIN";
  case EBADF: return "EBADF";
  case EIO: return "EIO";
  case ENOENT: return "ENOENT";
  case ENOTCONN: return "ENOTCONN";
  default: return strerror(err);
  }
}

static void read_once(int fd) {
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) { say("error %s", errno_name(errno)); return; }
  buf[n] = '\0';
  while (n > 0 && buf[n - 1] == '\n') buf[--n] = '\0';
  for (char *p = buf; *p; p++) if (*p == '\n') *p = '|';
  say("read %s", buf);
}

/* 1: ready, 0: timeout, -1: error (printed). */
static int wait_except(const char *mode, int fd, int epfd, int timeout_ms, int *mask) {
  if (strcmp(mode, "select-except") == 0) {
    fd_set except;
    FD_ZERO(&except);
    FD_SET(fd, &except);
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    int r = select(fd + 1, NULL, NULL, &except, &tv);
    if (r < 0) { say("error %s", errno_name(errno)); return -1; }
    *mask = r > 0 && FD_ISSET(fd, &except) ? POLLPRI : 0;
    return r > 0;
  }
  if (strcmp(mode, "poll-pri") == 0) {
    struct pollfd p = { fd, POLLPRI | POLLERR, 0 };
    int r = poll(&p, 1, timeout_ms);
    if (r < 0) { say("error %s", errno_name(errno)); return -1; }
    *mask = p.revents;
    return r > 0 && (p.revents & (POLLPRI | POLLERR)) != 0;
  }
  struct epoll_event event;
  int r = epoll_wait(epfd, &event, 1, timeout_ms);
  if (r < 0) { say("error %s", errno_name(errno)); return -1; }
  *mask = r > 0 ? (int)event.events : 0;
  return r > 0;
}

static void on_signal(int signo) { (void)signo; }

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MODE PATH TIMEOUT_MS\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  const char *path = argv[2];
  int timeout_ms = atoi(argv[3]);
  int fd = open(path, O_RDONLY);
  if (fd < 0) { say("error %s", errno_name(errno)); return 1; }
  char mask_text[32];

  if (strcmp(mode, "read-eintr") == 0) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal; /* no SA_RESTART: the read fails with EINTR */
    sigaction(SIGUSR1, &action, NULL);
    say("%s", "waiting");
    read_once(fd);
    return 0;
  }

  if (strcmp(mode, "select-read") == 0) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    say("%s", "waiting");
    int r = select(fd + 1, &readable, NULL, NULL, &tv);
    if (r < 0) { say("error %s", errno_name(errno)); return 1; }
    if (r == 0) { say("%s", "timeout"); return 0; }
    say("%s", "ready readable");
    read_once(fd);
    return 0;
  }

  int epfd = -1;
  if (strcmp(mode, "epoll-et") == 0) {
    epfd = epoll_create1(0);
    struct epoll_event event = { .events = EPOLLPRI | EPOLLERR | EPOLLET, .data = { .fd = fd } };
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) < 0) { say("error %s", errno_name(errno)); return 1; }
  } else if (strcmp(mode, "select-except") != 0 && strcmp(mode, "poll-pri") != 0) {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  /* As sysfs clients do: read the current value first, then wait for a change. */
  read_once(fd);
  int mask = 0;
  if (epfd >= 0) {
    /* Registering reports the state at that moment once: take it before waiting. */
    wait_except(mode, fd, epfd, 0, &mask);
  }
  say("%s", "waiting");
  int r = wait_except(mode, fd, epfd, timeout_ms, &mask);
  if (r < 0) return 1;
  if (r == 0) { say("%s", "timeout"); return 0; }
  snprintf(mask_text, sizeof mask_text, "%#x", mask);
  say("ready %s", mask_text);
  lseek(fd, 0, SEEK_SET);
  read_once(fd);
  r = wait_except(mode, fd, epfd, 0, &mask);
  say("after-reread %s", r > 0 ? "ready" : "quiet");
  return 0;
}
