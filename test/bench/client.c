/*
 * Benchmark client for gpio-aggfs: a separate process, so that timing never
 * shares the daemon's event loop. Built by test/bench/bench.mjs with
 * `cc -O2` (add -DHAVE_GPIOD -lgpiod for the libgpiod mode).
 *
 *   client lat <op> <path> <batches> <batch-size>
 *       op: pread | pwrite | owc (open+write+close) | shell (sh -c 'echo 1 > path')
 *       One warm-up batch, then prints one per-op latency in ns per line.
 *   client tput <path> <start-realtime-ns> <duration-ns>
 *       pwrite on an open fd from <start> for <duration>; prints the op count.
 *   client event <events-path> <pull-path> <count>
 *       Toggle a simulated pull and wait for the event line at a blocked
 *       reader; prints "<pull-to-event-ns> <pull-write-ns>" per event.
 *   client gpiod <chip> <offset> <batches> <batch-size>
 *       libgpiod 1.x gpiod_line_set_value() on a line requested as output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_GPIOD
#include <gpiod.h>
#endif

static const char *const VALUES[2] = {"0\n", "1\n"};

static int64_t now_ns(clockid_t clock) {
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, const char *path) {
	fprintf(stderr, "client: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static int open_or_die(const char *path, int flags) {
	int fd = open(path, flags);
	if (fd < 0) die("open", path);
	return fd;
}

/* One operation of a latency mode; `i` alternates the written value. */
static void run_op(const char *op, const char *path, int fd, long i) {
	char buf[64];
	const char *value = VALUES[i & 1];
	if (strcmp(op, "pread") == 0) {
		if (pread(fd, buf, sizeof buf, 0) < 0) die("pread", path);
	} else if (strcmp(op, "pwrite") == 0) {
		if (pwrite(fd, value, 2, 0) != 2) die("pwrite", path);
	} else if (strcmp(op, "owc") == 0) {
		int wfd = open_or_die(path, O_WRONLY);
		if (write(wfd, value, 2) != 2) die("write", path);
		if (close(wfd) != 0) die("close", path);
	} else if (strcmp(op, "shell") == 0) {
		pid_t pid = fork();
		if (pid < 0) die("fork", path);
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", "echo 1 > \"$1\"", "sh", path, (char *)NULL);
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) die("shell write", path);
	} else {
		fprintf(stderr, "client: unknown op %s\n", op);
		exit(2);
	}
}

static int lat(const char *op, const char *path, long batches, long size) {
	int needs_fd = strcmp(op, "pread") == 0 || strcmp(op, "pwrite") == 0;
	int fd = needs_fd ? open_or_die(path, strcmp(op, "pread") == 0 ? O_RDONLY : O_WRONLY) : -1;
	int64_t *samples = malloc(sizeof *samples * (size_t)(batches * size));
	if (samples == NULL) die("malloc", "");
	for (long i = 0; i < size; i++) run_op(op, path, fd, i); /* warm-up */
	long n = 0;
	for (long b = 0; b < batches; b++) {
		for (long i = 0; i < size; i++) {
			int64_t t0 = now_ns(CLOCK_MONOTONIC);
			run_op(op, path, fd, i);
			samples[n++] = now_ns(CLOCK_MONOTONIC) - t0;
		}
	}
	for (long i = 0; i < n; i++) printf("%lld\n", (long long)samples[i]);
	return 0;
}

static int tput(const char *path, int64_t start, int64_t duration) {
	int fd = open_or_die(path, O_WRONLY);
	while (now_ns(CLOCK_REALTIME) < start) {
		struct timespec pause = {0, 100000};
		nanosleep(&pause, NULL);
	}
	int64_t end = start + duration;
	long count = 0;
	while (now_ns(CLOCK_REALTIME) < end) {
		if (pwrite(fd, VALUES[count & 1], 2, 0) != 2) die("pwrite", path);
		count++;
	}
	printf("%ld\n", count);
	return 0;
}

static int event(const char *events_path, const char *pull_path, long count) {
	static const char *const PULLS[2] = {"pull-up", "pull-down"};
	int efd = open_or_die(events_path, O_RDONLY);
	char buf[512];
	for (long i = 0; i < count; i++) {
		int64_t t0 = now_ns(CLOCK_MONOTONIC);
		int pfd = open_or_die(pull_path, O_WRONLY);
		const char *pull = PULLS[i & 1];
		if (write(pfd, pull, strlen(pull)) < 0) die("write", pull_path);
		close(pfd);
		int64_t t1 = now_ns(CLOCK_MONOTONIC);
		ssize_t got;
		do got = read(efd, buf, sizeof buf); while (got < 0 && errno == EINTR);
		if (got <= 0) die("read", events_path);
		int64_t t2 = now_ns(CLOCK_MONOTONIC);
		printf("%lld %lld\n", (long long)(t2 - t0), (long long)(t1 - t0));
	}
	return 0;
}

#ifdef HAVE_GPIOD
static int gpiod(const char *chip_name, unsigned offset, long batches, long size) {
	struct gpiod_chip *chip = gpiod_chip_open_lookup(chip_name);
	if (chip == NULL) die("gpiod_chip_open_lookup", chip_name);
	struct gpiod_line *line = gpiod_chip_get_line(chip, offset);
	if (line == NULL) die("gpiod_chip_get_line", chip_name);
	if (gpiod_line_request_output(line, "gpio-aggfs-bench", 0) != 0) die("gpiod_line_request_output", chip_name);
	int64_t *samples = malloc(sizeof *samples * (size_t)(batches * size));
	if (samples == NULL) die("malloc", "");
	for (long i = 0; i < size; i++) gpiod_line_set_value(line, (int)(i & 1));
	long n = 0;
	for (long b = 0; b < batches; b++) {
		for (long i = 0; i < size; i++) {
			int64_t t0 = now_ns(CLOCK_MONOTONIC);
			if (gpiod_line_set_value(line, (int)(i & 1)) != 0) die("gpiod_line_set_value", chip_name);
			samples[n++] = now_ns(CLOCK_MONOTONIC) - t0;
		}
	}
	gpiod_line_release(line);
	gpiod_chip_close(chip);
	for (long i = 0; i < n; i++) printf("%lld\n", (long long)samples[i]);
	return 0;
}
#endif

int main(int argc, char **argv) {
	if (argc == 6 && strcmp(argv[1], "lat") == 0) return lat(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc == 5 && strcmp(argv[1], "tput") == 0) return tput(argv[2], atoll(argv[3]), atoll(argv[4]));
	if (argc == 5 && strcmp(argv[1], "event") == 0) return event(argv[2], argv[3], atol(argv[4]));
#ifdef HAVE_GPIOD
	if (argc == 6 && strcmp(argv[1], "gpiod") == 0) return gpiod(argv[2], (unsigned)atoi(argv[3]), atol(argv[4]), atol(argv[5]));
#endif
	fprintf(stderr, "usage: see the comment at the top of client.c\n");
	return 2;
}
