import { readdir, readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { BACKEND, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { q, sh, type RunResult } from '../helpers/run.js';

/*
 * agg/new_device, agg/delete_device, agg/devices and agg/last_error, driven
 * with echo/printf/cat from separate processes, on the board of
 * fixtures/vm-board.json (gpiochip0 "sim-a": 8 lines, 0 LED0, 1 LED1,
 * 3 BUTTON, 5 "status led"; gpiochip1 "sim-b": 16 lines, 2 RELAY).
 */

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 900_000 : 120_000);

const daemon = await startDaemon();
t.teardown(() => stopOrKill(daemon));

const NEW_DEVICE = daemon.path('agg', 'new_device');
const DELETE_DEVICE = daemon.path('agg', 'delete_device');

/** `echo spec > agg/new_device` (echo appends the newline the kernel interface expects). */
function newDevice(spec: string): Promise<RunResult> {
  return sh(`echo ${q(spec)} > ${q(NEW_DEVICE)}`);
}

/**
 * Write exactly these bytes in one write(): bash's printf would split its
 * output at newlines, dd with iflag=fullblock does not.
 */
function writeRaw(path: string, text: string): Promise<RunResult> {
  const octal = [...Buffer.from(text, 'latin1')].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('');
  return sh(`printf '${octal}' | dd of=${q(path)} bs=65536 iflag=fullblock status=none`);
}

function deleteDevice(name: string): Promise<RunResult> {
  return sh(`echo ${q(name)} > ${q(DELETE_DEVICE)}`);
}

function read(...parts: string[]): Promise<string> {
  return readFile(daemon.path(...parts), 'utf8');
}

async function rootEntries(): Promise<string[]> {
  return (await readdir(daemon.mountpoint)).sort();
}

async function create(t: Test, spec: string): Promise<void> {
  const result = await newDevice(spec);
  t.equal(result.code, 0, `new_device accepts ${JSON.stringify(spec)}: ${result.stderr}`);
}

/** Delete every aggregator, so each test starts from an empty registry. */
async function deleteAll(): Promise<void> {
  for (const line of (await read('agg', 'devices')).split('\n')) {
    if (line === '') continue;
    const result = await deleteDevice(line.split(' ')[0] as string);
    if (result.code !== 0) throw new Error(`cleanup: ${result.stderr}`);
  }
}

interface GrammarCase {
  readonly spec: string;
  readonly normalised: string;
  /** `source` of line0, line1, … */
  readonly sources: readonly string[];
  /** `name` of line0, line1, … */
  readonly names: readonly string[];
}

const GRAMMAR: readonly GrammarCase[] = [
  {
    spec: 'gpiochip0 3-5,7 gpiochip1 2',
    normalised: 'gpiochip0 3-5,7 gpiochip1 2',
    sources: ['gpiochip0 3', 'gpiochip0 4', 'gpiochip0 5', 'gpiochip0 7', 'gpiochip1 2'],
    names: ['BUTTON', '', 'status led', '', 'RELAY'],
  },
  {
    spec: 'LED0 BUTTON',
    normalised: 'gpiochip0 0,3',
    sources: ['gpiochip0 0', 'gpiochip0 3'],
    names: ['LED0', 'BUTTON'],
  },
  {
    spec: '"status led" sim-b 0-1',
    normalised: 'gpiochip0 5 gpiochip1 0-1',
    sources: ['gpiochip0 5', 'gpiochip1 0', 'gpiochip1 1'],
    names: ['status led', '', ''],
  },
  {
    // Device path; an offset list comes out ascending and de-duplicated.
    spec: '/dev/gpiochip1 7,3,3,5-6',
    normalised: 'gpiochip1 3,5-7',
    sources: ['gpiochip1 3', 'gpiochip1 5', 'gpiochip1 6', 'gpiochip1 7'],
    names: ['', '', '', ''],
  },
  {
    // A line name as the last token counts (the kernel would drop it).
    spec: 'sim-a 6 RELAY',
    normalised: 'gpiochip0 6 gpiochip1 2',
    sources: ['gpiochip0 6', 'gpiochip1 2'],
    names: ['', 'RELAY'],
  },
  {
    spec: 'RELAY',
    normalised: 'gpiochip1 2',
    sources: ['gpiochip1 2'],
    names: ['RELAY'],
  },
  {
    // Groups keep their order, names included.
    spec: 'BUTTON LED0',
    normalised: 'gpiochip0 3 gpiochip0 0',
    sources: ['gpiochip0 3', 'gpiochip0 0'],
    names: ['BUTTON', 'LED0'],
  },
  {
    spec: 'gpiochip1 15 /dev/gpiochip0 1',
    normalised: 'gpiochip1 15 gpiochip0 1',
    sources: ['gpiochip1 15', 'gpiochip0 1'],
    names: ['', 'LED1'],
  },
  {
    // Any whitespace separates; leading zeros are plain decimal.
    spec: '  LED1\t sim-b   010,0002 ',
    normalised: 'gpiochip0 1 gpiochip1 2,10',
    sources: ['gpiochip0 1', 'gpiochip1 2', 'gpiochip1 10'],
    names: ['LED1', 'RELAY', ''],
  },
  {
    // Quotes may open and close inside a token.
    spec: 'status" "led',
    normalised: 'gpiochip0 5',
    sources: ['gpiochip0 5'],
    names: ['status led'],
  },
];

t.test('new_device grammar: every form gives the expected lines', async (t) => {
  for (const c of GRAMMAR) {
    await t.test(c.spec, async (t) => {
      await create(t, c.spec);
      t.same(await rootEntries(), ['.sim', 'agg', 'gpio-agg.0', 'sysfs-gpio'].filter((e) => BACKEND === 'sim' || e !== '.sim'));
      const lineDirs = c.sources.map((_, k) => `line${k}`);
      t.same((await readdir(daemon.path('gpio-agg.0'))).sort(), ['label', ...lineDirs, 'ngpio', 'spec', 'sysfs-gpio'].sort());
      t.equal(await read('gpio-agg.0', 'label'), 'gpio-agg.0\n');
      t.equal(await read('gpio-agg.0', 'ngpio'), `${c.sources.length}\n`);
      t.equal(await read('gpio-agg.0', 'spec'), `${c.normalised}\n`);
      t.equal(await read('agg', 'devices'), `gpio-agg.0 ${c.normalised}\n`);
      for (const [k, source] of c.sources.entries()) {
        t.equal(await read('gpio-agg.0', `line${k}`, 'source'), `${source}\n`, `line${k} source`);
        t.equal(await read('gpio-agg.0', `line${k}`, 'name'), `${c.names[k]}\n`, `line${k} name`);
      }
      const deleted = await deleteDevice('gpio-agg.0');
      t.equal(deleted.code, 0, deleted.stderr);
      t.notOk((await rootEntries()).includes('gpio-agg.0'), 'directory gone after delete');
      t.equal(await read('agg', 'devices'), '');
    });
  }
});

t.test('the normalised spec creates the same lines again', async (t) => {
  await create(t, 'BUTTON "status led" sim-b 14,2 LED0');
  const spec = (await read('gpio-agg.0', 'spec')).trimEnd();
  t.equal(spec, 'gpiochip0 3,5 gpiochip1 2,14 gpiochip0 0');
  await deleteAll();
  await create(t, spec);
  t.equal(await read('gpio-agg.0', 'spec'), `${spec}\n`);
  t.equal(await read('gpio-agg.0', 'line4', 'name'), 'LED0\n');
  await deleteAll();
});

t.test('a spec written without a trailing newline is accepted too', async (t) => {
  const result = await writeRaw(NEW_DEVICE, 'gpiochip1 4');
  t.equal(result.code, 0, result.stderr);
  t.equal(await read('agg', 'devices'), 'gpio-agg.0 gpiochip1 4\n');
  await deleteAll();
});

t.test('ids: lowest free id, reused after delete; devices lists them in id order', async (t) => {
  await create(t, 'gpiochip1 10');
  await create(t, 'gpiochip1 11');
  await create(t, 'gpiochip1 12');
  t.equal(await read('agg', 'devices'), 'gpio-agg.0 gpiochip1 10\ngpio-agg.1 gpiochip1 11\ngpio-agg.2 gpiochip1 12\n');

  t.equal((await deleteDevice('gpio-agg.1')).code, 0);
  t.same(await rootEntries(), ['agg', 'gpio-agg.0', 'gpio-agg.2', 'sysfs-gpio', ...(BACKEND === 'sim' ? ['.sim'] : [])].sort());
  await create(t, 'gpiochip1 13');
  t.equal(await read('gpio-agg.1', 'spec'), 'gpiochip1 13\n', 'the freed id 1 is reused');

  t.equal((await deleteDevice('gpio-agg.0')).code, 0);
  await create(t, 'gpiochip1 14');
  t.equal(await read('gpio-agg.0', 'spec'), 'gpiochip1 14\n', 'the freed id 0 is reused');
  await create(t, 'gpiochip1 15');
  t.equal(await read('gpio-agg.3', 'spec'), 'gpiochip1 15\n', 'then the next id');
  t.equal(await read('agg', 'devices'),
    'gpio-agg.0 gpiochip1 14\ngpio-agg.1 gpiochip1 13\ngpio-agg.2 gpiochip1 12\ngpio-agg.3 gpiochip1 15\n');
  t.equal(await read('gpio-agg.3', 'label'), 'gpio-agg.3\n');
  await deleteAll();
});

t.test('delete_device accepts gpio-agg.N and gpio-aggregator.N, with or without newline', async (t) => {
  await create(t, 'gpiochip0 0');
  await create(t, 'gpiochip0 1');
  await create(t, 'gpiochip0 2');
  await create(t, 'gpiochip0 3');
  t.equal((await deleteDevice('gpio-agg.0')).code, 0);
  t.equal((await deleteDevice('gpio-aggregator.1')).code, 0);
  t.equal((await writeRaw(DELETE_DEVICE, 'gpio-agg.2')).code, 0);
  t.equal((await writeRaw(DELETE_DEVICE, 'gpio-aggregator.3')).code, 0);
  t.equal(await read('agg', 'devices'), '');
  t.notOk((await rootEntries()).some((e) => e.startsWith('gpio-agg.')), 'all directories gone');
  // Their lines are free again.
  await create(t, 'gpiochip0 0-3');
  await deleteAll();
});

t.test('delete_device errors', async (t) => {
  await create(t, 'gpiochip0 7');
  const cases: [string, 'EINVAL' | 'ENOENT'][] = [
    ['', 'EINVAL'],
    ['foo', 'EINVAL'],
    ['gpio-agg.', 'EINVAL'],
    ['gpio-agg.x', 'EINVAL'],
    ['gpio-agg.-1', 'EINVAL'],
    ['gpio-agg.01', 'EINVAL'],
    ['gpio-agg.0 ', 'EINVAL'],
    [' gpio-agg.0', 'EINVAL'],
    ['gpio-agg.0\n', 'EINVAL'],
    ['gpio-agg.\0' + '0', 'EINVAL'], // the kernel reads up to the NUL: "gpio-agg."
    ['gpio-aggregator', 'EINVAL'],
    ['gpio-agg.1', 'ENOENT'],
    ['gpio-aggregator.5', 'ENOENT'],
    ['gpio-agg.123456', 'ENOENT'],
  ];
  for (const [name, errno] of cases) {
    const result = await writeRaw(DELETE_DEVICE, `${name}\n`);
    t.not(result.code, 0, `${JSON.stringify(name)} is refused`);
    t.equal(result.errno, errno, `${JSON.stringify(name)} → ${errno}`);
    t.match(await read('agg', 'last_error'), new RegExp(`^delete_device: .+ \\(${errno}\\)\\n$`));
  }
  t.equal(await read('agg', 'devices'), 'gpio-agg.0 gpiochip0 7\n', 'the existing aggregator is untouched');
  await deleteAll();
});

interface ErrorCase {
  readonly spec: string;
  readonly errno: 'EINVAL' | 'ENOENT' | 'EBUSY';
  /** What last_error must mention, besides the errno. */
  readonly mentions?: string;
  /** Write the spec as is instead of through echo (which adds a newline). */
  readonly raw?: boolean;
}

/*
 * SPEC's error table, row by row. "More than 512 lines" cannot be reached on
 * this 24-line board (a line may not be selected twice); the limit is tested
 * in test/spec/resolve.test.ts against a larger simulated chip.
 */
const ERRORS: readonly ErrorCase[] = [
  // empty, whitespace only, unbalanced quote
  { spec: '', errno: 'EINVAL', mentions: 'empty' },
  { spec: '\n', errno: 'EINVAL', raw: true, mentions: 'empty' },
  { spec: '   \t  ', errno: 'EINVAL', mentions: 'empty' },
  { spec: '"LED0', errno: 'EINVAL', mentions: 'quote' },
  { spec: 'LED0 "sim-b 1', errno: 'EINVAL', mentions: 'quote' },
  { spec: 'gpiochip0 1 "', errno: 'EINVAL', mentions: 'quote' },
  // malformed offset lists
  { spec: 'gpiochip0 3-', errno: 'EINVAL', mentions: '"3-"' },
  { spec: 'gpiochip0 5-3', errno: 'EINVAL', mentions: '"5-3"' },
  { spec: 'gpiochip0 1,,2', errno: 'EINVAL', mentions: '"1,,2"' },
  { spec: 'gpiochip0 0x', errno: 'EINVAL', mentions: '"0x"' },
  { spec: 'sim-b 1,', errno: 'EINVAL', mentions: '"1,"' },
  { spec: 'gpiochip1 2-3-4', errno: 'EINVAL', mentions: '"2-3-4"' },
  // offset ≥ the chip's line count
  { spec: 'gpiochip0 8', errno: 'EINVAL', mentions: 'offset 8' },
  { spec: 'sim-b 16', errno: 'EINVAL', mentions: 'offset 16' },
  { spec: '/dev/gpiochip0 0-8', errno: 'EINVAL', mentions: 'offset 8' },
  // the same line twice, across groups or by name
  { spec: 'gpiochip0 1 sim-a 1', errno: 'EINVAL', mentions: 'twice' },
  { spec: 'gpiochip0 0-2 /dev/gpiochip0 2', errno: 'EINVAL', mentions: 'twice' },
  { spec: 'gpiochip0 0 LED0', errno: 'EINVAL', mentions: 'twice' },
  { spec: 'LED0 LED0', errno: 'EINVAL', mentions: 'twice' },
  { spec: 'RELAY gpiochip1 0-3', errno: 'EINVAL', mentions: 'twice' },
  // unknown chip key or line name
  { spec: 'gpiochip9 1', errno: 'ENOENT', mentions: '"gpiochip9"' },
  { spec: '/dev/gpiochip7 0', errno: 'ENOENT', mentions: '"/dev/gpiochip7"' },
  { spec: 'sim-c 0-1', errno: 'ENOENT', mentions: '"sim-c"' },
  { spec: 'NOPE', errno: 'ENOENT', mentions: '"NOPE"' },
  { spec: 'LED0 led1', errno: 'ENOENT', mentions: '"led1"' },
  { spec: 'gpiochip0 1 "status  led"', errno: 'ENOENT', mentions: '"status  led"' },
  // A lone chip key is a line name by the grammar, hence unknown.
  { spec: 'LED1 gpiochip1', errno: 'ENOENT', mentions: '"gpiochip1"' },
  // Quoted, an offset list is a name too.
  { spec: 'gpiochip0 "1"', errno: 'ENOENT', mentions: '"gpiochip0"' },
];

t.test('new_device error table: errno, last_error, and no directory appears', async (t) => {
  const before = await rootEntries();
  for (const c of ERRORS) {
    const result = c.raw === true ? await writeRaw(NEW_DEVICE, c.spec) : await newDevice(c.spec);
    t.not(result.code, 0, `${JSON.stringify(c.spec)} is refused`);
    t.equal(result.errno, c.errno, `${JSON.stringify(c.spec)} → ${c.errno} (${result.stderr.trim()})`);
    const lastError = await read('agg', 'last_error');
    t.match(lastError, new RegExp(`^new_device: .+ \\(${c.errno}\\)\\n$`), `last_error for ${JSON.stringify(c.spec)}`);
    if (c.mentions !== undefined) t.ok(lastError.includes(c.mentions), `last_error "${lastError.trimEnd()}" mentions ${c.mentions}`);
    t.same(await rootEntries(), before, `no directory after ${JSON.stringify(c.spec)}`);
    t.equal(await read('agg', 'devices'), '', `devices unchanged after ${JSON.stringify(c.spec)}`);
  }
});

t.test('EBUSY: a line already in another aggregator', async (t) => {
  await create(t, 'gpiochip0 3 gpiochip1 9');
  const before = await rootEntries();
  for (const spec of ['gpiochip0 3', 'BUTTON', 'sim-b 8-10', '/dev/gpiochip0 0-7', 'LED0 gpiochip1 9']) {
    const result = await newDevice(spec);
    t.equal(result.errno, 'EBUSY', `${spec} → EBUSY (${result.stderr.trim()})`);
    t.match(await read('agg', 'last_error'), /^new_device: .+ \(EBUSY\)\n$/);
    t.match(await read('agg', 'last_error'), /\bgpiochip[01] line (3|9) is in use by "gpio-aggfs"/, 'names the chip, the line and its holder');
    t.same(await rootEntries(), before, `no directory after ${spec}`);
  }
  t.equal(await read('agg', 'devices'), 'gpio-agg.0 gpiochip0 3 gpiochip1 9\n');
  await deleteAll();
});

t.test('all-or-nothing: lines taken before the failing one are released', async (t) => {
  await create(t, 'gpiochip1 9');
  // gpiochip0 4 and 6 are requested before gpiochip1 9 fails with EBUSY.
  const failed = await newDevice('gpiochip0 4 LED1 gpiochip1 9 gpiochip0 6');
  t.equal(failed.errno, 'EBUSY');
  t.equal(await read('agg', 'devices'), 'gpio-agg.0 gpiochip1 9\n');
  // A later failure after valid lines: nothing is held either.
  t.equal((await newDevice('gpiochip0 4 gpiochip1 8 NOPE')).errno, 'ENOENT');
  t.equal((await newDevice('gpiochip0 4 gpiochip1 8 gpiochip0 4')).errno, 'EINVAL');
  // Every line of the failed specs can be taken by a new aggregator; it gets the next id.
  await create(t, 'gpiochip0 1,4,6 gpiochip1 8');
  t.equal(await read('gpio-agg.1', 'spec'), 'gpiochip0 1,4,6 gpiochip1 8\n');
  t.equal(await read('agg', 'devices'), 'gpio-agg.0 gpiochip1 9\ngpio-agg.1 gpiochip0 1,4,6 gpiochip1 8\n');
  await deleteAll();
});

t.test('last_error: empty at first, the latest failure after each, kept across successes', async (t) => {
  // A fresh mount of its own, so that no earlier failure is remembered.
  const fresh = await startDaemon();
  t.teardown(() => stopOrKill(fresh));
  const lastError = (): Promise<string> => readFile(fresh.path('agg', 'last_error'), 'utf8');
  t.equal(await lastError(), '');
  t.equal((await sh(`echo 'gpiochip0 9' > ${q(fresh.path('agg', 'new_device'))}`)).errno, 'EINVAL');
  t.equal(await lastError(), 'new_device: offset 9 out of range for gpiochip0 (8 lines) (EINVAL)\n');
  t.equal((await sh(`echo 'gpio-agg.4' > ${q(fresh.path('agg', 'delete_device'))}`)).errno, 'ENOENT');
  t.match(await lastError(), /^delete_device: .*gpio-agg\.4.* \(ENOENT\)\n$/);
  t.equal((await sh(`echo LED0 > ${q(fresh.path('agg', 'new_device'))}`)).code, 0);
  t.match(await lastError(), /^delete_device: .* \(ENOENT\)\n$/, 'a success does not clear it');
  t.equal((await sh(`echo 'NOPE' > ${q(fresh.path('agg', 'new_device'))}`)).errno, 'ENOENT');
  t.equal(await lastError(), 'new_device: unknown line name "NOPE" (ENOENT)\n');
  // Reading it through cat shows the same text.
  const cat = await sh(`cat ${q(fresh.path('agg', 'last_error'))}`);
  t.equal(cat.stdout, 'new_device: unknown line name "NOPE" (ENOENT)\n');
});

t.test('creating an aggregator leaves lines as they were (requested as is)', async (t) => {
  await create(t, 'gpiochip1 5');
  t.equal((await sh(`echo high > ${q(daemon.path('gpio-agg.0', 'line0', 'direction'))}`)).code, 0);
  await deleteAll();
  // Released, the line stays an output (gpio-sim then shows its pull as the level).
  await daemon.lines.pull('gpiochip1', 5, 'pull-up');
  t.equal(await daemon.lines.level('gpiochip1', 5), 1);
  await create(t, 'gpiochip1 5');
  t.equal(await read('gpio-agg.0', 'line0', 'direction'), 'out\n', 'still an output, not switched to input');
  t.equal(await read('gpio-agg.0', 'line0', 'value'), '1\n');
  t.equal(await daemon.lines.level('gpiochip1', 5), 1, 'level unchanged by the request');
  // Back to an input pulled down.
  t.equal((await sh(`echo in > ${q(daemon.path('gpio-agg.0', 'line0', 'direction'))}`)).code, 0);
  await daemon.lines.pull('gpiochip1', 5, 'pull-down');
  await deleteAll();
});
