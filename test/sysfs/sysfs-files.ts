import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../helpers/daemon.js';
import { q, run, sh, type Identity, type RunResult } from '../helpers/run.js';

/** gpiochip0 "sim-wide" with 32 lines (GPIOs 512-543), gpiochip1 "sim-b" with 16 (544-559). */
export const BOARD = join(ROOT, 'fixtures', 'sysfs-board.json');

/** "mode uid gid" as stat(1) shows it. */
export async function ownership(path: string): Promise<string> {
  const result = await run(['stat', '-c', '%a %u %g', path]);
  if (result.code !== 0) throw new Error(`stat ${path}: ${result.stderr}`);
  return result.stdout.trim();
}

/** `echo text > file` (one write of text + newline), optionally as another user. */
export function echo(file: string, text: string, as?: Identity): Promise<RunResult> {
  return sh(`echo ${q(text)} > ${q(file)}`, as === undefined ? {} : { as });
}

export async function read(file: string): Promise<string> {
  return readFile(file, 'utf8');
}

/** `stat -c '%A %U %G %s'` of each name below `directory`, one line each, sorted by name. */
export async function listing(directory: string): Promise<string> {
  const result = await sh(`cd ${q(directory)} && for f in $(ls -A | sort); do stat -c '%A %u %g %s %n' "$f"; done`);
  if (result.code !== 0) throw new Error(`listing ${directory}: ${result.stderr}`);
  return result.stdout;
}

export async function readlink(path: string): Promise<string> {
  const result = await run(['readlink', path]);
  if (result.code !== 0) throw new Error(`readlink ${path}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The modes, owner and group of a class device's `power/` directory, as the kernel shows them. */
export const POWER_LISTING = [
  '-rw-r--r-- 0 0 4096 async',
  '-rw-r--r-- 0 0 4096 autosuspend_delay_ms',
  '-rw-r--r-- 0 0 4096 control',
  '-r--r--r-- 0 0 4096 runtime_active_kids',
  '-r--r--r-- 0 0 4096 runtime_active_time',
  '-r--r--r-- 0 0 4096 runtime_enabled',
  '-r--r--r-- 0 0 4096 runtime_status',
  '-r--r--r-- 0 0 4096 runtime_suspended_time',
  '-r--r--r-- 0 0 4096 runtime_usage',
].map((line) => `${line}\n`).join('');
