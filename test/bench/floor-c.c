/*
 * The machine's FUSE floor: a minimal C filesystem on libfuse3's low-level
 * API, mounted with gpio-aggfs's mount options (allow_other,
 * default_permissions) and direct_io on every open. Whatever a FUSE
 * filesystem spends above this is its own cost, not the kernel's.
 *
 * It serves the shape of an aggregator line, /gpio-agg.0/line0/{value,
 * direction, active_low, edge, bias, drive, name, source, events}, and
 * /value at the root. Reads return "1\n", writes accept everything.
 *
 *   floor-c <mountpoint> [--timeout SECONDS] [--tree FILE] [--debug]
 *
 * --timeout: entry and attribute timeout of every reply (default 1, as
 *   libfuse's high-level API; 0 makes every path component a LOOKUP).
 * --tree: more entries, one per line, "<octal mode> <size> <path>", and
 *   for a symbolic link "\t<target>" after it (the benchmark copies a
 *   512-line aggregator so `ls -lR` compares on it).
 * --debug: libfuse's request trace on stderr.
 * Prints "ready" once mounted; unmounts on SIGTERM/SIGINT.
 *
 * Built by test/bench/bench.mjs:
 *   cc -O2 floor-c.c $(pkg-config --cflags --libs fuse3)
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct node {
	char *name;
	fuse_ino_t parent;
	mode_t mode;
	off_t size;
	char *target; /* of a symbolic link */
	fuse_ino_t *children;
	size_t nchildren, capacity;
};

static struct node *nodes; /* index = inode number; 1 is the root */
static size_t nnodes, nodes_capacity;
static double timeout = 1.0;
static const char CONTENT[] = "1\n";

static fuse_ino_t add_node(fuse_ino_t parent, const char *name, mode_t mode, off_t size) {
	if (nnodes == nodes_capacity) {
		nodes_capacity = nodes_capacity ? nodes_capacity * 2 : 1024;
		nodes = realloc(nodes, nodes_capacity * sizeof *nodes);
		if (nodes == NULL) abort();
	}
	fuse_ino_t ino = nnodes++;
	nodes[ino] = (struct node){strdup(name), parent, mode, size, NULL, NULL, 0, 0};
	if (parent != 0) {
		struct node *p = &nodes[parent];
		if (p->nchildren == p->capacity) {
			p->capacity = p->capacity ? p->capacity * 2 : 8;
			p->children = realloc(p->children, p->capacity * sizeof *p->children);
			if (p->children == NULL) abort();
		}
		p->children[p->nchildren++] = ino;
	}
	return ino;
}

static fuse_ino_t child(fuse_ino_t parent, const char *name) {
	if (parent >= nnodes) return 0;
	const struct node *p = &nodes[parent];
	for (size_t i = 0; i < p->nchildren; i++)
		if (strcmp(nodes[p->children[i]].name, name) == 0) return p->children[i];
	return 0;
}

/* The node at `path` (absolute), creating missing directories on the way. */
static fuse_ino_t ensure_path(const char *path, mode_t mode, off_t size) {
	char *copy = strdup(path);
	fuse_ino_t at = 1;
	char *save = NULL;
	char *part = strtok_r(copy, "/", &save);
	while (part != NULL) {
		char *next = strtok_r(NULL, "/", &save);
		fuse_ino_t found = child(at, part);
		if (found == 0) found = add_node(at, part, next == NULL ? mode : (S_IFDIR | 0755), next == NULL ? size : 0);
		at = found;
		part = next;
	}
	free(copy);
	return at;
}

static void fill_stat(fuse_ino_t ino, struct stat *st) {
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_mode = nodes[ino].mode;
	st->st_nlink = S_ISDIR(nodes[ino].mode) ? 2 : 1;
	st->st_size = nodes[ino].size;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
	fuse_ino_t ino = child(parent, name);
	if (ino == 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct fuse_entry_param e = {.ino = ino, .generation = 1, .attr_timeout = timeout, .entry_timeout = timeout};
	fill_stat(ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	(void)fi;
	if (ino >= nnodes) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, timeout);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
	(void)attr;
	(void)to_set;
	op_getattr(req, ino, fi);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino) {
	if (nodes[ino].target == NULL) fuse_reply_err(req, EINVAL);
	else fuse_reply_readlink(req, nodes[ino].target);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	if (S_ISDIR(nodes[ino].mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->direct_io = 1;
	fi->fh = ino;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
	(void)ino;
	(void)fi;
	size_t len = sizeof CONTENT - 1;
	if ((size_t)off >= len) fuse_reply_buf(req, NULL, 0);
	else fuse_reply_buf(req, CONTENT + off, len - (size_t)off < size ? len - (size_t)off : size);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
	(void)ino;
	(void)buf;
	(void)off;
	(void)fi;
	fuse_reply_write(req, size);
}

static void op_ok(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	if (!S_ISDIR(nodes[ino].mode)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fuse_reply_open(req, fi);
}

/* Entries from `off` on (0 ".", 1 "..", then the children), as many as fit. */
static void list(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus) {
	const struct node *dir = &nodes[ino];
	char *buf = malloc(size);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	for (off_t i = off; i < (off_t)dir->nchildren + 2; i++) {
		fuse_ino_t target = i == 0 ? ino : i == 1 ? (dir->parent ? dir->parent : 1) : dir->children[i - 2];
		const char *name = i == 0 ? "." : i == 1 ? ".." : nodes[target].name;
		size_t n;
		if (plus) {
			struct fuse_entry_param e = {.ino = target, .generation = 1, .attr_timeout = timeout, .entry_timeout = timeout};
			fill_stat(target, &e.attr);
			n = fuse_add_direntry_plus(req, buf + used, size - used, name, &e, i + 1);
		} else {
			struct stat st;
			fill_stat(target, &st);
			n = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
		}
		if (n > size - used) break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
	(void)fi;
	list(req, ino, size, off, 0);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
	(void)fi;
	list(req, ino, size, off, 1);
}

static const struct fuse_lowlevel_ops OPS = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_ok,
	.release = op_ok,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_ok,
};

static void read_tree(const char *file) {
	FILE *f = fopen(file, "r");
	if (f == NULL) {
		fprintf(stderr, "floor-c: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	char line[4096];
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned mode;
		long long size;
		int consumed;
		if (sscanf(line, "%o %lld %n", &mode, &size, &consumed) != 2) continue;
		line[strcspn(line, "\n")] = '\0';
		char *tab = strchr(line + consumed, '\t');
		if (tab != NULL) *tab = '\0';
		fuse_ino_t ino = ensure_path(line + consumed, (mode_t)mode, (off_t)size);
		if (tab != NULL) nodes[ino].target = strdup(tab + 1);
	}
	fclose(f);
}

int main(int argc, char **argv) {
	const char *mountpoint = NULL, *tree = NULL;
	int debug = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) timeout = atof(argv[++i]);
		else if (strcmp(argv[i], "--tree") == 0 && i + 1 < argc) tree = argv[++i];
		else if (strcmp(argv[i], "--debug") == 0) debug = 1;
		else if (mountpoint == NULL && argv[i][0] != '-') mountpoint = argv[i];
		else {
			fprintf(stderr, "usage: floor-c <mountpoint> [--timeout SECONDS] [--tree FILE] [--debug]\n");
			return 2;
		}
	}
	if (mountpoint == NULL) {
		fprintf(stderr, "usage: floor-c <mountpoint> [--timeout SECONDS] [--tree FILE] [--debug]\n");
		return 2;
	}
	add_node(0, "", 0, 0); /* inode 0 is never used */
	add_node(0, "", S_IFDIR | 0755, 0);
	ensure_path("/value", S_IFREG | 0644, 4096);
	static const char *const LINE_FILES[] = {"value", "direction", "active_low", "edge", "bias", "drive", "name", "source", "events"};
	for (size_t i = 0; i < sizeof LINE_FILES / sizeof *LINE_FILES; i++) {
		char path[64];
		snprintf(path, sizeof path, "/gpio-agg.0/line0/%s", LINE_FILES[i]);
		ensure_path(path, S_IFREG | 0644, 4096);
	}
	if (tree != NULL) read_tree(tree);

	char *args_v[] = {argv[0], "-o", "allow_other,default_permissions,fsname=gpio-aggfs-floor-c,subtype=floor-c", debug ? "-d" : NULL, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(debug ? 4 : 3, args_v);
	struct fuse_session *se = fuse_session_new(&args, &OPS, sizeof OPS, NULL);
	if (se == NULL) return 1;
	if (fuse_set_signal_handlers(se) != 0) return 1;
	if (fuse_session_mount(se, mountpoint) != 0) return 1;
	printf("ready\n");
	fflush(stdout);
	int ret = fuse_session_loop_mt(se, 0);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return ret == 0 ? 0 : 1;
}
