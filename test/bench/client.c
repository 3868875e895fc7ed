/*
 * Benchmark client for gpio-aggfs: a separate process, so that timing never
 * shares the daemon's event loop. Built by test/bench/bench.mjs with
 * `cc -O2` (add -DHAVE_GPIOD -lgpiod for the libgpiod mode).
 *
 *   client lat <op> <path> <batches> <batch-size>
 *       op: pread | pwrite | owc (open+write+close) | shell (sh -c 'echo 1 > path')
 *       One warm-up batch, then prints one per-op latency in ns per line.
 *   client tput <path> <start-realtime-ns> <duration-ns>
 *       pwrite on an open fd from <start> for <duration>; prints the op
 *       count and the ns it ran (less than <duration> if it started late).
 *   client event <events-path> <pull-path> <count>
 *       Toggle a simulated pull and wait for the event line at a blocked
 *       reader; prints "<pull-to-event-ns> <pull-write-ns>" per event.
 *   client select <value-path> <pull-path> <count>
 *       A forked reader waits in select() on exceptfds of `value` (edge set
 *       to both); the parent toggles the simulated pull. Prints
 *       "<write-start-to-wake-ns> <pull-write-ns>" per edge, or "nopoll" if
 *       the first select() sees no edge within a second (no poll support).
 *   client block <events-path> <n>
 *       n threads, each blocked in read() of its own open `events` fd.
 *       Prints "ready" once all are started, then the count of reads that
 *       returned data when they have all returned.
 *   client idle <events-path> <n>
 *       n open non-blocking `events` fds, each read once (EAGAIN), then
 *       idle until stdin closes. Prints "ready" once all are open.
 *   client edges <pull-path> <count>
 *       count pull toggles (open+write+close each); prints the total ns.
 *   client probe <path>
 *       pread every millisecond until stdin closes; prints
 *       "<n> <median-ns> <p99-ns> <max-ns>".
 *   client gpiod <chip> <offset> <batches> <batch-size>
 *       libgpiod 1.x gpiod_line_set_value() on a line requested as output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/select.h>
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
	/* A client started late (a loaded machine) runs what is left of the window and says how long. */
	int64_t began = now_ns(CLOCK_REALTIME);
	int64_t end = start + duration;
	long count = 0;
	while (now_ns(CLOCK_REALTIME) < end) {
		if (pwrite(fd, VALUES[count & 1], 2, 0) != 2) die("pwrite", path);
		count++;
	}
	int64_t ran = now_ns(CLOCK_REALTIME) - began;
	printf("%ld %lld\n", count, (long long)(ran > 0 ? ran : 0));
	return 0;
}

static const char *const PULLS[2] = {"pull-up", "pull-down"};

/* The index in PULLS of the pull that changes the line now: the other one than it has. */
static int next_pull(const char *pull_path) {
	char buf[32] = {0};
	int fd = open_or_die(pull_path, O_RDONLY);
	if (read(fd, buf, sizeof buf - 1) < 0) die("read", pull_path);
	close(fd);
	return strncmp(buf, PULLS[0], strlen(PULLS[0])) == 0 ? 1 : 0;
}

static int event(const char *events_path, const char *pull_path, long count) {
	int efd = open_or_die(events_path, O_RDONLY);
	char buf[512];
	int first = next_pull(pull_path);
	for (long i = 0; i < count; i++) {
		int64_t t0 = now_ns(CLOCK_MONOTONIC);
		int pfd = open_or_die(pull_path, O_WRONLY);
		const char *pull = PULLS[(i + first) & 1];
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

static void write_pull(const char *pull_path, long i) {
	int pfd = open_or_die(pull_path, O_WRONLY);
	const char *pull = PULLS[i & 1];
	if (write(pfd, pull, strlen(pull)) < 0) die("write", pull_path);
	close(pfd);
}

static void read_all(int fd, void *buf, size_t len) {
	size_t done = 0;
	while (done < len) {
		ssize_t got = read(fd, (char *)buf + done, len - done);
		if (got < 0 && errno == EINTR) continue;
		if (got <= 0) {
			fprintf(stderr, "client: pipe closed\n");
			exit(1);
		}
		done += (size_t)got;
	}
}

/* The reader: arm (read value), say so, wait in select() on exceptfds, report the wake-up time. */
static void select_reader(const char *value_path, int armed, int woke, long count) {
	int vfd = open_or_die(value_path, O_RDONLY);
	char buf[64];
	for (long i = 0; i < count; i++) {
		if (pread(vfd, buf, sizeof buf, 0) < 0) die("pread", value_path);
		if (write(armed, "a", 1) != 1) die("write", "pipe");
		fd_set except;
		FD_ZERO(&except);
		FD_SET(vfd, &except);
		struct timeval limit = {1, 0};
		int n;
		do n = select(vfd + 1, NULL, NULL, &except, &limit); while (n < 0 && errno == EINTR);
		if (n < 0) die("select", value_path);
		int64_t t = n == 0 ? -1 : now_ns(CLOCK_MONOTONIC);
		if (write(woke, &t, sizeof t) != sizeof t) die("write", "pipe");
		if (n == 0) _exit(0);
	}
	_exit(0);
}

static int select_wake(const char *value_path, const char *pull_path, long count) {
	int armed[2], woke[2];
	if (pipe(armed) != 0 || pipe(woke) != 0) die("pipe", "");
	pid_t pid = fork();
	if (pid < 0) die("fork", "");
	if (pid == 0) select_reader(value_path, armed[1], woke[1], count);
	int first = next_pull(pull_path);
	for (long i = 0; i < count; i++) {
		char a;
		read_all(armed[0], &a, 1);
		struct timespec settle = {0, 2000000}; /* let the reader enter select() */
		nanosleep(&settle, NULL);
		int pfd = open_or_die(pull_path, O_WRONLY);
		const char *pull = PULLS[(i + first) & 1];
		int64_t t0 = now_ns(CLOCK_MONOTONIC);
		if (write(pfd, pull, strlen(pull)) < 0) die("write", pull_path);
		int64_t t1 = now_ns(CLOCK_MONOTONIC);
		close(pfd);
		int64_t t;
		read_all(woke[0], &t, sizeof t);
		if (t < 0) {
			if (i == 0) {
				printf("nopoll\n");
				break;
			}
			fprintf(stderr, "client: select() saw no edge within 1 s at edge %ld\n", i);
			exit(1);
		}
		printf("%lld %lld\n", (long long)(t - t0), (long long)(t1 - t0));
	}
	int status;
	waitpid(pid, &status, 0);
	return 0;
}

static void raise_fd_limit(void) {
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
}

static void *blocked_read(void *arg) {
	int fd = (int)(intptr_t)arg;
	char buf[512];
	ssize_t got;
	do got = read(fd, buf, sizeof buf); while (got < 0 && errno == EINTR);
	return (void *)(intptr_t)(got > 0);
}

static int block(const char *events_path, long n) {
	raise_fd_limit();
	pthread_t *threads = calloc((size_t)n, sizeof *threads);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long i = 0; i < n; i++) {
		int fd = open_or_die(events_path, O_RDONLY);
		if (pthread_create(&threads[i], &attr, blocked_read, (void *)(intptr_t)fd) != 0) die("pthread_create", "");
	}
	printf("ready\n");
	fflush(stdout);
	long ok = 0;
	for (long i = 0; i < n; i++) {
		void *result;
		pthread_join(threads[i], &result);
		ok += (intptr_t)result;
	}
	printf("%ld\n", ok);
	return 0;
}

static int idle(const char *events_path, long n) {
	raise_fd_limit();
	char buf[512];
	for (long i = 0; i < n; i++) {
		int fd = open_or_die(events_path, O_RDONLY | O_NONBLOCK);
		if (read(fd, buf, sizeof buf) < 0 && errno != EAGAIN) die("read", events_path);
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, buf, sizeof buf) > 0) {}
	return 0;
}

static int edges(const char *pull_path, long count) {
	int first = next_pull(pull_path);
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	for (long i = 0; i < count; i++) write_pull(pull_path, i + first);
	printf("%lld\n", (long long)(now_ns(CLOCK_MONOTONIC) - t0));
	return 0;
}

static int compare_ns(const void *a, const void *b) {
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int probe(const char *path) {
	int fd = open_or_die(path, O_RDONLY);
	size_t capacity = 1 << 16, n = 0;
	int64_t *samples = malloc(capacity * sizeof *samples);
	char buf[64];
	struct pollfd in = {0, POLLIN, 0};
	for (;;) {
		if (poll(&in, 1, 1) != 0) break; /* stdin readable (EOF) or error: stop; else 1 ms passed */
		int64_t t0 = now_ns(CLOCK_MONOTONIC);
		if (pread(fd, buf, sizeof buf, 0) < 0) die("pread", path);
		int64_t t = now_ns(CLOCK_MONOTONIC) - t0;
		if (n == capacity) samples = realloc(samples, (capacity *= 2) * sizeof *samples);
		if (samples == NULL) die("realloc", "");
		samples[n++] = t;
	}
	if (n == 0) {
		printf("0 0 0 0\n");
		return 0;
	}
	qsort(samples, n, sizeof *samples, compare_ns);
	size_t p99 = (size_t)((double)n * 0.99);
	printf("%zu %lld %lld %lld\n", n, (long long)samples[n / 2], (long long)samples[p99 < n ? p99 : n - 1], (long long)samples[n - 1]);
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
	if (argc == 5 && strcmp(argv[1], "select") == 0) return select_wake(argv[2], argv[3], atol(argv[4]));
	if (argc == 4 && strcmp(argv[1], "block") == 0) return block(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "idle") == 0) return idle(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "edges") == 0) return edges(argv[2], atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "probe") == 0) return probe(argv[2]);
#ifdef HAVE_GPIOD
	if (argc == 6 && strcmp(argv[1], "gpiod") == 0) return gpiod(argv[2], (unsigned)atoi(argv[3]), atol(argv[4]), atol(argv[5]));
#endif
	fprintf(stderr, "usage: see the comment at the top of client.c\n");
	return 2;
}
