import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { BACKEND, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { resetLines } from '../helpers/line-files.js';
import { q, run, sh, type RunResult } from '../helpers/run.js';

/*
 * Line attributes with gpiolib-sysfs semantics, read and written by
 * ordinary tools (echo, printf | dd, cat, head, stat, a node child process)
 * through the mount. gpio-agg.0 is "gpiochip0 0-7", so lineK is gpiochip0 K;
 * gpio-agg.1 is "gpiochip1 2" for the read-only files of a second aggregator.
 */

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 900_000 : 120_000);

const daemon = await startDaemon();
t.teardown(async () => {
  // Leave the lines as inputs pulled down for whatever runs next on the same chips.
  await resetLines(daemon, 'gpio-agg.0', Array.from({ length: 8 }, (_, k) => ['gpiochip0', k] as const)).catch(() => {});
  await resetLines(daemon, 'gpio-agg.1', [['gpiochip1', 2] as const]).catch(() => {});
  await stopOrKill(daemon);
});

const CHIP = 'gpiochip0';
for (const spec of ['gpiochip0 0-7', 'gpiochip1 2']) {
  const created = await sh(`echo ${q(spec)} > ${q(daemon.path('agg', 'new_device'))}`);
  if (created.code !== 0) throw new Error(`cannot create ${spec}: ${created.stderr}`);
}

await resetLines(daemon, 'gpio-agg.0', Array.from({ length: 8 }, (_, k) => ['gpiochip0', k] as const));
await resetLines(daemon, 'gpio-agg.1', [['gpiochip1', 2] as const]);

const WRITABLE = ['value', 'direction', 'active_low', 'edge', 'bias', 'drive'] as const;
type Writable = typeof WRITABLE[number];
const LINE_FILES = [...WRITABLE, 'name', 'source'] as const;
type LineFile = typeof LINE_FILES[number];

function attr(line: number, file: string): string {
  return daemon.path('gpio-agg.0', `line${line}`, file);
}

/** `echo text > lineK/file`: the text plus the newline echo adds, in one write. */
function echo(line: number, file: Writable, text: string): Promise<RunResult> {
  return sh(`echo -n ${q(`${text}\n`)} > ${q(attr(line, file))}`);
}

/**
 * Write exactly these bytes in one write(): bash's printf splits its output
 * at newlines, dd with iflag=fullblock does not.
 */
function writeBytes(path: string, text: string): Promise<RunResult> {
  const octal = [...Buffer.from(text, 'latin1')].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('');
  return sh(`printf '${octal}' | dd of=${q(path)} bs=65536 iflag=fullblock status=none`);
}

function read(line: number, file: LineFile): Promise<string> {
  return readFile(attr(line, file), 'utf8');
}

type Snapshot = Record<LineFile, string> & { level: number };

/** Every attribute of a line and its physical level. */
async function snapshot(line: number): Promise<Snapshot> {
  const entries = await Promise.all(LINE_FILES.map(async (file) => [file, await read(line, file)] as const));
  return { ...Object.fromEntries(entries) as Record<LineFile, string>, level: await daemon.lines.level(CHIP, line) };
}

async function ok(t: Test, line: number, file: Writable, text: string): Promise<void> {
  const result = await echo(line, file, text);
  t.equal(result.code, 0, `echo ${text} > line${line}/${file}: ${result.stderr.trim()}`);
}

/** The write fails with `errno` and the line is exactly as it was. */
async function refused(t: Test, line: number, file: Writable, bytes: string, errno: string): Promise<void> {
  const before = await snapshot(line);
  const result = await writeBytes(attr(line, file), bytes);
  t.equal(result.errno, errno, `${JSON.stringify(bytes)} > line${line}/${file} → ${errno} (${result.stderr.trim()})`);
  t.same(await snapshot(line), before, `line${line} unchanged after ${JSON.stringify(bytes)} > ${file}`);
}

t.test('an input pulled down reads so, every read newline-terminated', async (t) => {
  const names = ['LED0', 'LED1', '', 'BUTTON', '', 'status led', '', ''];
  for (let line = 0; line < 8; line += 1) {
    t.same(await snapshot(line), {
      value: '0\n', direction: 'in\n', active_low: '0\n', edge: 'none\n', bias: 'as-is\n',
      drive: 'push-pull\n', name: `${names[line]}\n`, source: `gpiochip0 ${line}\n`, level: 0,
    }, `line${line}`);
  }
  const cat = await run(['cat', ...LINE_FILES.map((file) => attr(5, file))]);
  t.equal(cat.stdout, '0\nin\n0\nnone\nas-is\npush-pull\nstatus led\ngpiochip0 5\n');
  const other = daemon.path('gpio-agg.1');
  const catOther = await run(['cat', `${other}/label`, `${other}/ngpio`, `${other}/spec`, `${other}/line0/name`, `${other}/line0/source`]);
  t.equal(catOther.stdout, 'gpio-agg.1\n1\ngpiochip1 2\nRELAY\ngpiochip1 2\n');
});

t.test('modes of every entry', async (t) => {
  const stat = await run(['stat', '-c', '%a %F %n',
    daemon.path('agg'), daemon.path('agg', 'new_device'), daemon.path('agg', 'delete_device'),
    daemon.path('agg', 'devices'), daemon.path('agg', 'last_error'),
    daemon.path('gpio-agg.0'), daemon.path('gpio-agg.0', 'label'), daemon.path('gpio-agg.0', 'ngpio'),
    daemon.path('gpio-agg.0', 'spec'), daemon.path('gpio-agg.0', 'line0'),
    ...[...LINE_FILES, 'events'].map((file) => attr(0, file))]);
  t.equal(stat.code, 0, stat.stderr);
  const modes = stat.stdout.trim().split('\n').map((line) => line.replace(daemon.mountpoint, ''));
  t.same(modes, [
    '755 directory /agg', '200 regular file /agg/new_device', '200 regular file /agg/delete_device',
    '444 regular file /agg/devices', '444 regular file /agg/last_error',
    '755 directory /gpio-agg.0', '444 regular file /gpio-agg.0/label', '444 regular file /gpio-agg.0/ngpio',
    '444 regular file /gpio-agg.0/spec', '755 directory /gpio-agg.0/line0',
    '644 regular file /gpio-agg.0/line0/value', '644 regular file /gpio-agg.0/line0/direction',
    '644 regular file /gpio-agg.0/line0/active_low', '644 regular file /gpio-agg.0/line0/edge',
    '644 regular file /gpio-agg.0/line0/bias', '644 regular file /gpio-agg.0/line0/drive',
    '444 regular file /gpio-agg.0/line0/name', '444 regular file /gpio-agg.0/line0/source',
    '444 regular empty file /gpio-agg.0/line0/events',
  ]);
});

t.test('stat sizes: attributes report a page like sysfs, the event stream 0', async (t) => {
  const stat = await run(['stat', '-c', '%s', ...WRITABLE.map((file) => attr(1, file)), attr(1, 'name'), attr(1, 'source'),
    attr(1, 'events'), daemon.path('gpio-agg.0', 'spec'), daemon.path('agg', 'devices')]);
  t.equal(stat.code, 0, stat.stderr);
  t.same(stat.stdout.trim().split('\n'), [...Array(8).fill('4096'), '0', '4096', '4096']);
});

t.test('direction: in, out, low, high (out/low drive physical 0, high physical 1)', async (t) => {
  const line = 1;
  await ok(t, line, 'direction', 'high');
  t.equal(await read(line, 'direction'), 'out\n');
  t.equal(await read(line, 'value'), '1\n');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  await ok(t, line, 'direction', 'out');
  t.equal(await read(line, 'value'), '0\n', 'out drives 0 even when the line was high');
  t.equal(await daemon.lines.level(CHIP, line), 0);
  await ok(t, line, 'direction', 'high');
  await ok(t, line, 'direction', 'low');
  t.equal(await read(line, 'value'), '0\n');
  t.equal(await daemon.lines.level(CHIP, line), 0);
  // Without the trailing newline too.
  t.equal((await writeBytes(attr(line, 'direction'), 'high')).code, 0);
  t.equal(await daemon.lines.level(CHIP, line), 1);
  t.equal((await writeBytes(attr(line, 'direction'), 'in')).code, 0);
  t.equal(await read(line, 'direction'), 'in\n');
  t.equal((await writeBytes(attr(line, 'direction'), 'out')).code, 0);
  t.equal(await read(line, 'direction'), 'out\n');

  // Raw levels: with active_low, out/low still drive physical 0 (logical 1), high physical 1 (logical 0).
  await ok(t, line, 'active_low', '1');
  await ok(t, line, 'direction', 'out');
  t.equal(await daemon.lines.level(CHIP, line), 0);
  t.equal(await read(line, 'value'), '1\n');
  await ok(t, line, 'direction', 'high');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  t.equal(await read(line, 'value'), '0\n');
  await ok(t, line, 'direction', 'low');
  t.equal(await daemon.lines.level(CHIP, line), 0);
  t.equal(await read(line, 'value'), '1\n');

  for (const bad of ['IN', 'input', 'output', ' in', 'in ', 'in\n\n', '\n', 'hi', 'high\r\n', 'out\t']) {
    await refused(t, line, 'direction', bad, 'EINVAL');
  }
  await ok(t, line, 'active_low', '0');
  await ok(t, line, 'direction', 'in');
});

t.test('value: 1, 0, 0x1 with and without newline; any non-zero integer is 1', async (t) => {
  const line = 2;
  await ok(t, line, 'direction', 'out');
  const cases: [string, string][] = [
    ['1', '1'], ['0', '0'], ['0x1', '1'], ['1\n', '1'], ['0\n', '0'], ['0x1\n', '1'], ['0X0', '0'],
    ['2', '1'], ['00', '0'], ['-1', '1'], ['010', '1'], ['-0', '0'], ['+1', '1'], ['0xff\n', '1'],
    ['9223372036854775807', '1'], ['-9223372036854775808', '1'], ['0\n', '0'],
  ];
  for (const [text, expected] of cases) {
    const result = await writeBytes(attr(line, 'value'), text);
    t.equal(result.code, 0, `${JSON.stringify(text)} accepted: ${result.stderr.trim()}`);
    t.equal(await read(line, 'value'), `${expected}\n`, `${JSON.stringify(text)} → ${expected}`);
    t.equal(await daemon.lines.level(CHIP, line), Number(expected), `${JSON.stringify(text)} drives ${expected}`);
  }
  await ok(t, line, 'value', '1');
  for (const bad of ['x', '1.0', 'true', 'on', '0x', '08', '0b1', ' 1', '1 ', '1\n\n', '\n', '--1', '+-1', '1e3', '\t0']) {
    await refused(t, line, 'value', bad, 'EINVAL');
  }
  for (const huge of ['9223372036854775808', '-9223372036854775809', '0x10000000000000000', '99999999999999999999999\n']) {
    await refused(t, line, 'value', huge, 'ERANGE');
  }
  t.equal(await read(line, 'value'), '1\n', 'still the last accepted value');
  await ok(t, line, 'direction', 'in');
});

t.test('value on an input: EPERM, whatever is written', async (t) => {
  const line = 3;
  for (const text of ['1', '0', '0x1\n', 'garbage', '99999999999999999999']) {
    await refused(t, line, 'value', text, 'EPERM');
  }
});

t.test('input values follow the pull; active_low inverts them', async (t) => {
  const line = 3;
  await daemon.lines.pull(CHIP, line, 'pull-up');
  t.equal(await read(line, 'value'), '1\n');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  await daemon.lines.pull(CHIP, line, 'pull-down');
  t.equal(await read(line, 'value'), '0\n');
  await ok(t, line, 'active_low', '1');
  t.equal(await read(line, 'value'), '1\n');
  await daemon.lines.pull(CHIP, line, 'pull-up');
  t.equal(await read(line, 'value'), '0\n');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  await ok(t, line, 'active_low', '0');
  t.equal(await read(line, 'value'), '1\n');
  await daemon.lines.pull(CHIP, line, 'pull-down');
});

t.test('active_low: integer, non-zero is 1; swaps how value reads and writes', async (t) => {
  const line = 4;
  for (const [text, expected] of [['1', '1'], ['0', '0'], ['2', '1'], ['0x0\n', '0'], ['-5', '1'], ['00', '0'], ['0x10', '1']]) {
    t.equal((await writeBytes(attr(line, 'active_low'), text as string)).code, 0, `${JSON.stringify(text)} accepted`);
    t.equal(await read(line, 'active_low'), `${expected}\n`, `${JSON.stringify(text)} → ${expected}`);
  }
  await ok(t, line, 'active_low', '0');
  await ok(t, line, 'direction', 'high');
  // Changing active_low keeps the physical level; only the reading flips.
  await ok(t, line, 'active_low', '1');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  t.equal(await read(line, 'value'), '0\n');
  await ok(t, line, 'value', '1');
  t.equal(await daemon.lines.level(CHIP, line), 0, 'logical 1 on an active-low line is physical 0');
  t.equal(await read(line, 'value'), '1\n');
  await ok(t, line, 'value', '0');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  await ok(t, line, 'active_low', '0');
  t.equal(await read(line, 'value'), '1\n');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  for (const bad of ['yes', 'true', '\n', '1 ', '0x']) await refused(t, line, 'active_low', bad, 'EINVAL');
  await refused(t, line, 'active_low', '18446744073709551616', 'ERANGE');
  await ok(t, line, 'direction', 'in');
});

t.test('edge: the four words; EIO on an output and for making an edge-detecting line an output', async (t) => {
  const line = 5;
  for (const edge of ['rising', 'falling', 'both', 'none', 'both']) {
    await ok(t, line, 'edge', edge);
    t.equal(await read(line, 'edge'), `${edge}\n`);
  }
  t.equal((await writeBytes(attr(line, 'edge'), 'falling')).code, 0, 'without newline');
  t.equal(await read(line, 'edge'), 'falling\n');
  for (const bad of ['Rising', 'up', 'any', '\n', 'both ', 'none\n\n']) await refused(t, line, 'edge', bad, 'EINVAL');
  // An edge-detecting line cannot become an output.
  for (const direction of ['out', 'high', 'low']) await refused(t, line, 'direction', `${direction}\n`, 'EIO');
  // It can be made an input again (it is one), and edge none frees it.
  await ok(t, line, 'direction', 'in');
  t.equal(await read(line, 'edge'), 'falling\n', 'direction in keeps the edge');
  await ok(t, line, 'edge', 'none');
  await ok(t, line, 'direction', 'out');
  for (const edge of ['rising', 'falling', 'both']) await refused(t, line, 'edge', `${edge}\n`, 'EIO');
  await ok(t, line, 'edge', 'none');
  t.equal(await read(line, 'edge'), 'none\n', 'none is fine on an output');
  await ok(t, line, 'direction', 'in');
});

t.test('bias and drive: the listed words read back; anything else EINVAL', async (t) => {
  const line = 6;
  for (const bias of ['pull-up', 'pull-down', 'disable', 'as-is', 'pull-down']) {
    await ok(t, line, 'bias', bias);
    t.equal(await read(line, 'bias'), `${bias}\n`);
  }
  for (const bad of ['pullup', 'pull_up', 'up', 'as is', '\n', 'pull-up ', 'disabled']) await refused(t, line, 'bias', bad, 'EINVAL');
  for (const drive of ['open-drain', 'open-source', 'push-pull']) {
    await ok(t, line, 'drive', drive);
    t.equal(await read(line, 'drive'), `${drive}\n`);
  }
  await ok(t, line, 'direction', 'out');
  for (const drive of ['open-drain', 'open-source', 'push-pull']) {
    await ok(t, line, 'drive', drive);
    t.equal(await read(line, 'drive'), `${drive}\n`);
    t.equal(await read(line, 'direction'), 'out\n');
  }
  for (const bad of ['opendrain', 'open_drain', 'push', '\n', 'Push-Pull']) await refused(t, line, 'drive', bad, 'EINVAL');
  // The bias of an input decides its level when nothing else drives it.
  await ok(t, line, 'direction', 'in');
  await ok(t, line, 'bias', 'pull-up');
  t.equal(await read(line, 'value'), '1\n');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  await ok(t, line, 'bias', 'pull-down');
  t.equal(await read(line, 'value'), '0\n');
  // No chip on this board refuses a bias, so EOPNOTSUPP is left to the backend unit tests.
  await ok(t, line, 'bias', 'as-is');
});

t.test('read-only files refuse opening for write with EACCES, root included', async (t) => {
  const readOnly = [
    attr(0, 'name'), attr(0, 'source'), attr(0, 'events'),
    daemon.path('gpio-agg.0', 'label'), daemon.path('gpio-agg.0', 'ngpio'), daemon.path('gpio-agg.0', 'spec'),
    daemon.path('agg', 'devices'), daemon.path('agg', 'last_error'),
  ];
  t.equal(process.getuid?.(), 0, 'the suite runs as root, which the kernel lets past mode bits');
  for (const path of readOnly) {
    // An events read would wait for an edge: compare the other files only.
    const before = path.endsWith('/events') ? undefined : await readFile(path, 'utf8');
    const echoed = await sh(`echo x > ${q(path)}`);
    t.equal(echoed.errno, 'EACCES', `echo x > ${path}`);
    const appended = await sh(`echo x >> ${q(path)}`);
    t.equal(appended.errno, 'EACCES', `echo x >> ${path}`);
    const readWrite = await sh(`exec 3<> ${q(path)}`);
    t.equal(readWrite.errno, 'EACCES', `open O_RDWR ${path}`);
    const truncated = await run(['truncate', '-s', '0', path]);
    t.equal(truncated.errno, 'EACCES', `truncate ${path}`);
    if (before !== undefined) t.equal(await readFile(path, 'utf8'), before, `${path} unchanged`);
  }
  // The write-only control files refuse opening for read the same way.
  for (const path of [daemon.path('agg', 'new_device'), daemon.path('agg', 'delete_device')]) {
    t.equal((await run(['cat', path])).errno, 'EACCES', `cat ${path}`);
  }
});

t.test('entries cannot be created, removed or renamed: EPERM', async (t) => {
  const line0 = daemon.path('gpio-agg.0', 'line0');
  const attempts: [string, string[]][] = [
    ['mkdir in the root', ['mkdir', daemon.path('gpio-agg.9')]],
    ['mkdir in an aggregator', ['mkdir', daemon.path('gpio-agg.0', 'line8')]],
    ['mkdir in a line', ['mkdir', `${line0}/sub`]],
    ['mkdir in agg', ['mkdir', daemon.path('agg', 'x')]],
    ['rm an attribute', ['rm', '-f', `${line0}/value`]],
    ['rm a control file', ['rm', '-f', daemon.path('agg', 'devices')]],
    ['rmdir a line', ['rmdir', line0]],
    ['rm -r an aggregator', ['rm', '-rf', daemon.path('gpio-agg.1')]],
    ['mv a line', ['mv', line0, daemon.path('gpio-agg.0', 'line9')]],
    ['mv an attribute', ['mv', `${line0}/value`, `${line0}/value2`]],
    ['mv an aggregator', ['mv', daemon.path('gpio-agg.1'), daemon.path('gpio-agg.5')]],
    ['touch a new file', ['touch', `${line0}/newfile`]],
    ['touch a new file in the root', ['touch', daemon.path('newfile')]],
    ['ln -s', ['ln', '-s', 'value', `${line0}/link`]],
    ['ln', ['ln', `${line0}/value`, `${line0}/hardlink`]],
    ['mknod a fifo', ['mkfifo', `${line0}/fifo`]],
  ];
  const before = (await run(['ls', '-AR', daemon.mountpoint])).stdout;
  for (const [what, argv] of attempts) {
    const result = await run(argv);
    t.not(result.code, 0, `${what} fails`);
    t.equal(result.errno, 'EPERM', `${what}: ${result.stderr.trim()}`);
  }
  t.equal((await run(['ls', '-AR', daemon.mountpoint])).stdout, before, 'the tree is unchanged');
  t.equal((await sh(`echo x > ${q(`${line0}/newfile`)}`)).errno, 'EPERM', 'creating through a redirection');
});

t.test('truncation (echo >, truncate, : >) never loses an attribute', async (t) => {
  const line = 7;
  await ok(t, line, 'direction', 'high');
  await ok(t, line, 'active_low', '1');
  await ok(t, line, 'drive', 'open-source');
  await ok(t, line, 'bias', 'pull-up');
  const before = await snapshot(line);
  for (const file of WRITABLE) {
    t.equal((await sh(`: > ${q(attr(line, file))}`)).code, 0, `: > ${file}`);
    t.equal((await run(['truncate', '-s', '0', attr(line, file)])).code, 0, `truncate ${file}`);
    t.same(await snapshot(line), before, `${file} truncated, nothing lost`);
  }
  // A rejected echo truncates first and then fails the write: still nothing lost.
  for (const file of WRITABLE) {
    const result = await echo(line, file, 'x');
    t.equal(result.errno, 'EINVAL', `echo x > ${file}`);
    t.same(await snapshot(line), before, `${file} after a rejected echo`);
  }
  for (const [file, value] of [['drive', 'push-pull'], ['bias', 'as-is'], ['active_low', '0'], ['direction', 'in']] as const) {
    await ok(t, line, file, value);
  }
});

t.test('fallocate on an attribute is EOPNOTSUPP and changes nothing', async (t) => {
  const line = 7;
  const before = await snapshot(line);
  for (const file of WRITABLE) {
    const result = await run(['fallocate', '-o', '0', '-l', '4096', attr(line, file)]);
    t.equal(result.errno, 'EOPNOTSUPP', `fallocate ${file}: ${result.stderr.trim()}`);
  }
  for (const file of ['name', 'source', 'events']) {
    const result = await run(['fallocate', '-o', '0', '-l', '4096', attr(line, file)]);
    t.equal(result.errno, 'EACCES', `fallocate ${file} (read-only, refused at open): ${result.stderr.trim()}`);
  }
  t.same(await snapshot(line), before, 'nothing changed');
});

t.test('extended attributes do not exist: every call is EOPNOTSUPP and changes nothing', async (t) => {
  const line = 7;
  const before = await snapshot(line);
  const paths = [attr(line, 'value'), attr(line, 'events'), daemon.path('agg/new_device'), daemon.path(`gpio-agg.0/line${line}`), daemon.path('')];
  const calls = {
    'getxattr security.selinux': "os.getxattr(p, 'security.selinux')",
    'getxattr user.x': "os.getxattr(p, 'user.x')",
    listxattr: 'os.listxattr(p)',
    'setxattr user.x': "os.setxattr(p, 'user.x', b'1')",
    'removexattr user.x': "os.removexattr(p, 'user.x')",
  };
  // One process makes every call (Python's os.*xattr are the system calls themselves) and prints
  // each outcome as an errno name: under the VM's emulation every process start costs seconds.
  const program = [
    'import errno, json, os, sys',
    `calls = ${JSON.stringify(calls)}`,
    'out = {}',
    'for p in sys.argv[1:]:',
    '    for what, call in calls.items():',
    '        try:',
    '            eval(call); out[what + " " + p] = "ok"',
    '        except OSError as e:',
    // Linux's ENOTSUP and EOPNOTSUPP are one number; Python names it ENOTSUP.
    '            out[what + " " + p] = "EOPNOTSUPP" if e.errno == errno.EOPNOTSUPP else errno.errorcode[e.errno]',
    'print(json.dumps(out))',
  ].join('\n');
  const result = await run(['python3', '-c', program, ...paths]);
  t.equal(result.code, 0, result.stderr);
  const outcomes = JSON.parse(result.stdout) as Record<string, string>;
  t.same(outcomes, Object.fromEntries(paths.flatMap((p) => Object.keys(calls).map((what) => [`${what} ${p}`, 'EOPNOTSUPP']))));
  t.same(await snapshot(line), before, 'nothing changed');
});

t.test('a rejected write leaves every attribute of the line unchanged', async (t) => {
  const line = 0;
  const states: [Writable, string][][] = [
    [],
    [['direction', 'high']],
    [['active_low', '1'], ['direction', 'out'], ['drive', 'open-drain']],
    [['direction', 'in'], ['edge', 'both'], ['bias', 'pull-up']],
  ];
  const bad: [Writable, string, string][] = [
    ['value', 'x', 'EINVAL'], ['value', '0x', 'EINVAL'], ['value', '99999999999999999999', 'ERANGE'],
    ['direction', 'sideways', 'EINVAL'], ['active_low', 'no', 'EINVAL'], ['edge', 'up', 'EINVAL'],
    ['bias', 'pullup', 'EINVAL'], ['drive', 'totem', 'EINVAL'], ['active_low', '-99999999999999999999', 'ERANGE'],
  ];
  for (const state of states) {
    for (const [file, value] of state) await ok(t, line, file, value);
    const isInput = (await read(line, 'direction')) === 'in\n';
    for (const [file, text, errno] of bad) {
      const expected = file === 'value' && isInput ? 'EPERM' : errno;
      await refused(t, line, file, text, expected);
    }
  }
  for (const [file, value] of [['edge', 'none'], ['bias', 'as-is'], ['active_low', '0'], ['drive', 'push-pull']] as const) {
    await ok(t, line, file, value);
  }
});

t.test('a NUL byte ends the written text, as sysfs reads a C string', async (t) => {
  const line = 1;
  t.equal((await writeBytes(attr(line, 'direction'), 'high\0junk')).code, 0);
  t.equal(await read(line, 'direction'), 'out\n');
  t.equal(await daemon.lines.level(CHIP, line), 1);
  t.equal((await writeBytes(attr(line, 'value'), '0\0 1')).code, 0);
  t.equal(await read(line, 'value'), '0\n');
  await refused(t, line, 'value', '\x001', 'EINVAL');
  t.equal((await writeBytes(attr(line, 'direction'), 'in\n\0')).code, 0);
  t.equal(await read(line, 'direction'), 'in\n');
});

/** A node child process that opens `path` once and preads offset 0 each time it is told to. */
function openOnce(path: string): { next(): Promise<string>; close(): Promise<void> } {
  const script = `
    const fs = require('node:fs');
    const fd = fs.openSync(process.argv[1], 'r');
    const buffer = Buffer.alloc(64);
    const readNow = () => {
      const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
      process.stdout.write(JSON.stringify(buffer.subarray(0, n).toString()) + '\\n');
    };
    process.stdin.on('data', (chunk) => { for (const c of chunk.toString()) if (c === 'r') readNow(); });
    process.stdin.on('end', () => fs.closeSync(fd));
  `;
  const child = spawn(process.execPath, ['-e', script, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = JSON.parse(pending.slice(0, newline)) as string;
      pending = pending.slice(newline + 1);
      if (waiting !== undefined) { const done = waiting; waiting = undefined; done(line); } else lines.push(line);
    }
  });
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  return {
    next: () => new Promise((resolve) => {
      const line = lines.shift();
      if (line !== undefined) resolve(line);
      else { waiting = resolve; child.stdin.write('r'); }
    }),
    close: async () => { child.stdin.end(); await exited; },
  };
}

t.test('an already-open fd reads fresh values (pread at 0, head -c)', async (t) => {
  const line = 2;
  await ok(t, line, 'direction', 'low');
  const reader = openOnce(attr(line, 'value'));
  t.teardown(() => reader.close());
  t.equal(await reader.next(), '0\n');
  await ok(t, line, 'value', '1');
  t.equal(await reader.next(), '1\n', 'the same fd sees the new value');
  await ok(t, line, 'value', '0');
  t.equal(await reader.next(), '0\n');
  await ok(t, line, 'active_low', '1');
  t.equal(await reader.next(), '1\n', 'and the new active_low');
  await ok(t, line, 'active_low', '0');
  await reader.close();

  const direction = openOnce(attr(line, 'direction'));
  t.equal(await direction.next(), 'out\n');
  await ok(t, line, 'direction', 'in');
  t.equal(await direction.next(), 'in\n');
  await direction.close();

  await daemon.lines.pull(CHIP, line, 'pull-up');
  t.equal((await run(['head', '-c', '2', attr(line, 'value')])).stdout, '1\n');
  t.equal((await run(['head', '-c', '1', attr(line, 'value')])).stdout, '1');
  await daemon.lines.pull(CHIP, line, 'pull-down');
  t.equal((await run(['head', '-c', '2', attr(line, 'value')])).stdout, '0\n');
  t.equal((await run(['head', '-c', '100', attr(line, 'direction')])).stdout, 'in\n');
  // Byte by byte, the reader still gets one consistent text.
  t.equal((await sh(`dd if=${q(attr(line, 'source'))} bs=1 status=none`)).stdout, 'gpiochip0 2\n');
});
