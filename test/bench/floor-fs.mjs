// The floor of the FUSE binding: a minimal fuse-native filesystem serving one
// file, `/value`, mounted with gpio-aggfs's own mount options. Whatever
// gpio-aggfs spends above this is its own cost. The same file also appears at
// `/gpio-agg.0/line0/value`, as deep as a gpio-aggfs value file: every path
// component costs a LOOKUP round trip (entry timeout 0), so opens are
// compared at both depths.
//
// `--tree FILE` adds a tree to serve beside them: a JSON array of
// [path, mode, size, symbolic link's target] (the benchmark copies the shape of a 512-line
// aggregator, so `ls -lR` can be compared on the same tree).
//
//   node test/bench/floor-fs.mjs <mountpoint> [--tree FILE]
// Prints "ready" once mounted; unmounts on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { dirname, basename } from 'node:path';
import Fuse from 'fuse-native';
import { MOUNT_OPTIONS } from '../../dist/fs/fuse-native-transport.js';

const mountpoint = process.argv[2];
const treeFile = process.argv[3] === '--tree' ? process.argv[4] : undefined;
if (mountpoint === undefined || (process.argv.length > 3 && treeFile === undefined)) {
  console.error('usage: floor-fs.mjs <mountpoint> [--tree FILE]');
  process.exit(2);
}

const epoch = new Date(0);
const stat = (mode, size) => ({ mode, uid: 0, gid: 0, size, nlink: 1, atime: epoch, mtime: epoch, ctime: epoch });
const ROOT = stat(0o040755, 0);
const FILE = stat(0o100644, 4096);
const CONTENT = Buffer.from('1\n');
const ENTRIES = new Map([
  ['/', ROOT], ['/value', FILE],
  ['/gpio-agg.0', ROOT], ['/gpio-agg.0/line0', ROOT], ['/gpio-agg.0/line0/value', FILE],
]);
const LISTINGS = new Map([['/', ['value', 'gpio-agg.0']], ['/gpio-agg.0', ['line0']], ['/gpio-agg.0/line0', ['value']]]);
const LINKS = new Map();
if (treeFile !== undefined) {
  for (const [path, mode, size, target] of JSON.parse(readFileSync(treeFile, 'utf8'))) {
    if (ENTRIES.has(path)) continue;
    ENTRIES.set(path, stat(mode, size));
    if (target !== undefined) LINKS.set(path, target);
    if ((mode & 0o170000) === 0o040000 && !LISTINGS.has(path)) LISTINGS.set(path, []);
    const parent = dirname(path);
    if (!LISTINGS.has(parent)) LISTINGS.set(parent, []);
    LISTINGS.get(parent).push(basename(path));
  }
}

const fuse = new Fuse(mountpoint, {
  getattr: (path, cb) => {
    const entry = ENTRIES.get(path);
    if (entry === undefined) cb(Fuse.ENOENT);
    else cb(0, entry);
  },
  readdir: (path, cb) => {
    const names = LISTINGS.get(path);
    if (names === undefined) cb(Fuse.ENOTDIR);
    else cb(0, names);
  },
  readlink: (path, cb) => {
    const target = LINKS.get(path);
    if (target === undefined) cb(Fuse.EINVAL);
    else cb(0, target);
  },
  open: (_path, _flags, cb) => cb(0, 1),
  read: (_path, _fd, buf, len, pos, cb) => cb(pos >= CONTENT.length ? 0 : CONTENT.copy(buf, 0, pos, Math.min(CONTENT.length, pos + len))),
  write: (_path, _fd, _buf, len, _pos, cb) => cb(len),
  release: (_path, _fd, cb) => cb(0),
  truncate: (_path, _size, cb) => cb(0),
  ftruncate: (_path, _fd, _size, cb) => cb(0),
}, { ...MOUNT_OPTIONS });

// Same interrupt signal as gpio-aggfs (it must not kill the process).
process.on('SIGUSR2', () => {});

fuse.mount((err) => {
  if (err) {
    console.error(`floor-fs: cannot mount ${mountpoint}: ${err.message}`);
    process.exit(1);
  }
  console.log('ready');
});

const stop = () => fuse.unmount(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
