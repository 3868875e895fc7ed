import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import * as abi from '../../lib/fuse/kernel-abi.js';

/** Our names for structure sizes, and the C expression the kernel header gives each. */
const SIZES: Record<string, string> = {
  FUSE_IN_HEADER_SIZE: 'sizeof(struct fuse_in_header)',
  FUSE_OUT_HEADER_SIZE: 'sizeof(struct fuse_out_header)',
  FUSE_ATTR_SIZE: 'sizeof(struct fuse_attr)',
  FUSE_ENTRY_OUT_SIZE: 'sizeof(struct fuse_entry_out)',
  FUSE_ATTR_OUT_SIZE: 'sizeof(struct fuse_attr_out)',
  FUSE_OPEN_OUT_SIZE: 'sizeof(struct fuse_open_out)',
  FUSE_WRITE_OUT_SIZE: 'sizeof(struct fuse_write_out)',
  FUSE_STATFS_OUT_SIZE: 'sizeof(struct fuse_statfs_out)',
  FUSE_POLL_OUT_SIZE: 'sizeof(struct fuse_poll_out)',
  FUSE_LSEEK_OUT_SIZE: 'sizeof(struct fuse_lseek_out)',
  FUSE_GETXATTR_OUT_SIZE: 'sizeof(struct fuse_getxattr_out)',
  FUSE_INIT_OUT_SIZE: 'sizeof(struct fuse_init_out)',
  FUSE_DIRENT_SIZE: 'FUSE_NAME_OFFSET',
  FUSE_DIRENTPLUS_SIZE: 'FUSE_NAME_OFFSET_DIRENTPLUS',
  FUSE_NOTIFY_POLL_WAKEUP_OUT_SIZE: 'sizeof(struct fuse_notify_poll_wakeup_out)',
  FUSE_NOTIFY_INVAL_INODE_OUT_SIZE: 'sizeof(struct fuse_notify_inval_inode_out)',
  FUSE_NOTIFY_INVAL_ENTRY_OUT_SIZE: 'sizeof(struct fuse_notify_inval_entry_out)',
  FUSE_NOTIFY_DELETE_OUT_SIZE: 'sizeof(struct fuse_notify_delete_out)',
};

/** Constants of ours that the header does not define under that name. */
const OURS = new Set(['FUSE_OLDEST_MINOR_VERSION', 'FUSE_INT_REQ_BIT', 'FUSE_INIT_IN_COMPAT_SIZE', 'DEFAULT_POLLMASK']);

t.test('every constant and structure size matches /usr/include/linux/fuse.h', async (t) => {
  const numbers = Object.entries(abi).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  const expressions = numbers.map(([name]) => SIZES[name] ?? (OURS.has(name) ? undefined : name));
  const lines = numbers.flatMap(([name], i) => expressions[i] === undefined ? [] : [`  printf("${name} %lld\\n", (long long)(${expressions[i]}));`]);
  const dir = mkdtempSync(join(tmpdir(), 'gpio-aggfs-abi-'));
  writeFileSync(join(dir, 'abi.c'), `#include <stdio.h>\n#include <stddef.h>\n#include <poll.h>\n#include <linux/fuse.h>\nint main(void) {\n${lines.join('\n')}\n  return 0;\n}\n`);
  execFileSync('gcc', ['-o', join(dir, 'abi'), join(dir, 'abi.c')]);
  const fromHeader = new Map(execFileSync(join(dir, 'abi'), { encoding: 'utf8' }).trim().split('\n')
    .map((line) => line.split(' ') as [string, string]).map(([name, value]) => [name, Number(value)]));
  t.ok(fromHeader.size > 100, `${fromHeader.size} constants compared`);
  for (const [name, value] of numbers) {
    if (fromHeader.has(name) && name !== 'FUSE_KERNEL_MINOR_VERSION') t.equal(value, fromHeader.get(name), name);
  }
  // The protocol version spoken (Debian 12's header, 7.38) or a newer header, which keeps every
  // older definition (Debian 13's is 7.41; every constant above still matched).
  const headerMinor = fromHeader.get('FUSE_KERNEL_MINOR_VERSION') ?? 0;
  t.ok(abi.FUSE_KERNEL_MINOR_VERSION <= headerMinor,
    `the header is protocol 7.${headerMinor}: the version spoken (7.${abi.FUSE_KERNEL_MINOR_VERSION}) or newer`);
});

t.test('records align to 8 bytes like FUSE_REC_ALIGN', async (t) => {
  t.equal(abi.fuseRecAlign(24), 24);
  t.equal(abi.fuseRecAlign(25), 32);
  t.equal(abi.fuseRecAlign(31), 32);
  t.equal(abi.fuseRecAlign(0), 0);
});
