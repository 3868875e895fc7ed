import { spawn, type ChildProcess } from 'node:child_process';
import t, { type Test } from 'tap';
import { BACKEND, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { resetLines } from '../helpers/line-files.js';
import { q, run, sh } from '../helpers/run.js';

/*
 * lineK/events: edge events as `<timestamp_ns> rising|falling` lines, one
 * queue per open file. Edges are raised by changing the simulated pull of an
 * input line (LineControl: `.sim/` files on the simulated backend, gpio-sim's
 * sysfs `pull` in the VM). gpio-agg.0 is "gpiochip0 0-7": lineK is gpiochip0 K.
 */

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 900_000 : 120_000);

/** How long to wait for events that must not come. */
const QUIET_MS = BACKEND === 'sim' ? 250 : 2000;
/** How long events that must come may take. */
const EVENT_TIMEOUT_MS = BACKEND === 'sim' ? 5000 : 30000;

const daemon = await startDaemon();
t.teardown(async () => {
  // Leave the lines as inputs pulled down for whatever runs next on the same chips.
  await resetLines(daemon, 'gpio-agg.0', Array.from({ length: 8 }, (_, k) => ['gpiochip0', k] as const)).catch(() => {});
  await stopOrKill(daemon);
});

const CHIP = 'gpiochip0';
const created = await sh(`echo 'gpiochip0 0-7' > ${q(daemon.path('agg', 'new_device'))}`);
if (created.code !== 0) throw new Error(`cannot create the aggregator: ${created.stderr}`);

await resetLines(daemon, 'gpio-agg.0', Array.from({ length: 8 }, (_, k) => ['gpiochip0', k] as const));

function attr(line: number, file: string): string {
  return daemon.path('gpio-agg.0', `line${line}`, file);
}

async function set(t: Test, line: number, file: string, value: string): Promise<void> {
  const result = await sh(`echo ${q(value)} > ${q(attr(line, file))}`);
  t.equal(result.code, 0, `echo ${value} > line${line}/${file}: ${result.stderr.trim()}`);
}

function pull(line: number, up: boolean): Promise<void> {
  return daemon.lines.pull(CHIP, line, up ? 'pull-up' : 'pull-down');
}

/** The `pull` file LineControl writes, for shell loops that toggle fast. */
function pullPath(chip: string, offset: number): string {
  return BACKEND === 'sim'
    ? daemon.path('.sim', chip, `sim_gpio${offset}`, 'pull')
    : `/sys/bus/gpio/devices/${chip}/sim_gpio${offset}/pull`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Reader {
  readonly child: ChildProcess;
  /** Complete lines read so far. */
  readonly lines: string[];
  /** Wait until at least `count` lines arrived (or the time is up), then return them all. */
  waitFor(count: number): Promise<string[]>;
  /** Exit code, or 128 + signal number. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const readers: ChildProcess[] = [];
t.teardown(() => { for (const child of readers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });

/**
 * `cat events`, started in a separate process; resolves once the file is
 * open (bash opens it, says so, then hands the descriptor to cat), so that
 * edges raised afterwards are in this reader's queue.
 */
async function openReader(path: string, wrap: readonly string[] = []): Promise<Reader> {
  const child = spawn('bash', ['-c', `exec 3< "$1" || exit 99; echo open >&2; exec ${wrap.join(' ')} cat <&3`, 'reader', path],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  readers.push(child);
  const lines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop() as string;
    lines.push(...complete);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('close', (code, signal) => done({ code, signal }));
  });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('open\n')) resolve();
    });
    void exited.then(() => reject(new Error(`reader exited before opening ${path}: ${stderr}`)));
  });
  return {
    child,
    lines,
    exited,
    async waitFor(count) {
      const deadline = Date.now() + EVENT_TIMEOUT_MS;
      while (lines.length < count && Date.now() < deadline) await delay(10);
      return [...lines];
    },
  };
}

interface Event { readonly ns: bigint; readonly type: string }

function parse(t: Test, lines: readonly string[]): Event[] {
  return lines.map((line) => {
    const match = /^([0-9]+) (rising|falling)$/.exec(line);
    t.ok(match, `event line ${JSON.stringify(line)} is "<ns> rising|falling"`);
    return { ns: BigInt(match?.[1] ?? '0'), type: match?.[2] ?? '' };
  });
}

function increasing(t: Test, events: readonly Event[]): void {
  for (let i = 1; i < events.length; i += 1) {
    t.ok((events[i] as Event).ns > (events[i - 1] as Event).ns, `timestamp ${i} after timestamp ${i - 1}`);
  }
}

/**
 * Pull the line through `levels` (true: up), and after each pull that makes
 * an event (`fires`, by default every change) wait until `reader` has it
 * before the next pull. On real chips two edges in quick succession are not
 * two clean events: the kernel types the event of a both-edges request by
 * the level its interrupt thread reads when it runs, and gpio-sim delivers
 * an interrupt still pending once; so under the VM's emulation, pulls a few
 * milliseconds apart came out as "falling, falling" (libgpiod 1.6) or as one
 * event for two edges (libgpiod 2.2). Pacing the edges keeps each sequence exact.
 */
async function edges(reader: Reader, line: number, levels: readonly boolean[], fires: (up: boolean) => boolean = () => true): Promise<void> {
  for (const up of levels) {
    const before = reader.lines.length;
    await pull(line, up);
    if (fires(up)) await reader.waitFor(before + 1);
  }
}

async function stopReader(t: Test, reader: Reader): Promise<void> {
  reader.child.kill('SIGTERM');
  const { signal } = await reader.exited;
  t.equal(signal, 'SIGTERM', 'the reader ends when told to');
}

t.test('edge both: rising and falling lines in order, timestamps increasing', async (t) => {
  const line = 0;
  await set(t, line, 'edge', 'both');
  const reader = await openReader(attr(line, 'events'));
  await edges(reader, line, [true, false, true, false, true]);
  const events = parse(t, await reader.waitFor(5));
  t.same(events.map((e) => e.type), ['rising', 'falling', 'rising', 'falling', 'rising']);
  increasing(t, events);
  await delay(QUIET_MS);
  t.equal(reader.lines.length, 5, 'one line per edge, nothing more');
  // A pull that does not change the level is no edge.
  await pull(line, true);
  await pull(line, false);
  t.same(parse(t, await reader.waitFor(6)).map((e) => e.type).slice(5), ['falling']);
  await stopReader(t, reader);
  await set(t, line, 'edge', 'none');
});

t.test('edge rising / falling deliver only those; none delivers nothing', async (t) => {
  const line = 1;
  for (const edge of ['rising', 'falling'] as const) {
    await set(t, line, 'edge', edge);
    const reader = await openReader(attr(line, 'events'));
    await edges(reader, line, [true, false, true, false, true, false], (up) => up === (edge === 'rising'));
    const events = parse(t, await reader.waitFor(3));
    await delay(QUIET_MS);
    t.same(reader.lines.length, 3, `edge ${edge}: three events for three ${edge} edges`);
    t.same(events.map((e) => e.type), [edge, edge, edge]);
    increasing(t, events);
    await stopReader(t, reader);
  }

  await set(t, line, 'edge', 'none');
  const reader = await openReader(attr(line, 'events'));
  for (const up of [true, false, true, false]) await pull(line, up);
  await delay(QUIET_MS);
  t.same(reader.lines, [], 'nothing while edge is none');
  // Switching edge detection on while the file is open: later edges arrive, earlier ones never do.
  await set(t, line, 'edge', 'both');
  await pull(line, true);
  t.same(parse(t, await reader.waitFor(1)).map((e) => e.type), ['rising']);
  await delay(QUIET_MS);
  t.equal(reader.lines.length, 1);
  // And off again.
  await set(t, line, 'edge', 'none');
  await pull(line, false);
  await delay(QUIET_MS);
  t.equal(reader.lines.length, 1, 'nothing after edge none again');
  await stopReader(t, reader);
});

t.test('active_low swaps rising and falling', async (t) => {
  const line = 2;
  await set(t, line, 'active_low', '1');
  await set(t, line, 'edge', 'both');
  const reader = await openReader(attr(line, 'events'));
  await edges(reader, line, [true, false]);
  t.same(parse(t, await reader.waitFor(2)).map((e) => e.type), ['falling', 'rising'], 'physical up is a logical fall');
  await stopReader(t, reader);

  // edge rising on an active-low line fires on the physical falling edge.
  await set(t, line, 'edge', 'rising');
  const rising = await openReader(attr(line, 'events'));
  await edges(rising, line, [true, false, true, false], (up) => !up);
  const events = parse(t, await rising.waitFor(2));
  await delay(QUIET_MS);
  t.same(rising.lines.length, 2);
  t.same(events.map((e) => e.type), ['rising', 'rising']);
  await stopReader(t, rising);

  // Changing active_low while edges are detected takes effect for the open reader.
  await set(t, line, 'edge', 'both');
  const both = await openReader(attr(line, 'events'));
  await pull(line, true);
  t.same(parse(t, await both.waitFor(1)).map((e) => e.type), ['falling']);
  await set(t, line, 'active_low', '0');
  await pull(line, false);
  t.same(parse(t, await both.waitFor(2)).map((e) => e.type), ['falling', 'falling'], 'physical fall, no longer inverted');
  await stopReader(t, both);
  await set(t, line, 'edge', 'none');
});

t.test('each open has its own queue, starting empty at open', async (t) => {
  const line = 3;
  await set(t, line, 'edge', 'both');
  const first = await openReader(attr(line, 'events'));
  await edges(first, line, [true, false, true]);
  t.equal((await first.waitFor(3)).length, 3);
  // Opened after those three edges: it sees none of them.
  const second = await openReader(attr(line, 'events'));
  await pull(line, false);
  const early = parse(t, await first.waitFor(4));
  const late = parse(t, await second.waitFor(1));
  await delay(QUIET_MS);
  t.same(early.map((e) => e.type), ['rising', 'falling', 'rising', 'falling']);
  t.same(late.map((e) => e.type), ['falling'], 'the later reader gets only the edge after its open');
  t.equal(second.lines.length, 1);
  t.equal(late[0]?.ns, early[3]?.ns, 'both readers see the same event');
  await stopReader(t, first);
  await stopReader(t, second);
  await set(t, line, 'edge', 'none');
});

/** A node child that opens `path` with O_NONBLOCK and reads each time it gets "r" on stdin. */
function nonBlockingReader(path: string): { read(): Promise<string>; close(): Promise<void> } {
  const script = `
    const fs = require('node:fs');
    const fd = fs.openSync(process.argv[1], fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const buffer = Buffer.alloc(1 << 16);
    const readAll = () => {
      let text = '';
      for (;;) {
        try {
          const n = fs.readSync(fd, buffer, 0, buffer.length, null);
          if (n === 0) return text + 'EOF';
          text += buffer.subarray(0, n).toString();
        } catch (err) {
          return text + err.code;
        }
      }
    };
    process.stdin.on('data', (chunk) => {
      for (const c of chunk.toString()) if (c === 'r') process.stdout.write(JSON.stringify(readAll()) + '\\n');
    });
    process.stdin.on('end', () => fs.closeSync(fd));
  `;
  const child = spawn(process.execPath, ['-e', script, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  readers.push(child);
  let pending = '';
  const answers: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      answers.push(JSON.parse(pending.slice(0, newline)) as string);
      pending = pending.slice(newline + 1);
    }
  });
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  return {
    async read() {
      const before = answers.length;
      child.stdin.write('r');
      const deadline = Date.now() + EVENT_TIMEOUT_MS;
      while (answers.length === before && Date.now() < deadline) await delay(5);
      return answers[before] ?? 'no answer';
    },
    async close() { child.stdin.end(); await exited; },
  };
}

t.test('O_NONBLOCK: EAGAIN with nothing queued, the queued lines otherwise', async (t) => {
  const line = 4;
  await set(t, line, 'edge', 'both');
  const reader = nonBlockingReader(attr(line, 'events'));
  t.teardown(() => reader.close());
  t.equal(await reader.read(), 'EAGAIN', 'nothing queued');
  // A blocking reader beside it paces the two edges (see edges()).
  const pacer = await openReader(attr(line, 'events'));
  await edges(pacer, line, [true, false]);
  await stopReader(t, pacer);
  const text = await reader.read();
  t.match(text, /^[0-9]+ rising\n[0-9]+ falling\nEAGAIN$/, 'both events, then EAGAIN again');
  t.equal(await reader.read(), 'EAGAIN');
  await reader.close();
  await set(t, line, 'edge', 'none');
});

t.test('deleting the aggregator ends a blocked reader with end-of-file', async (t) => {
  const made = await sh(`echo 'gpiochip1 3-4' > ${q(daemon.path('agg', 'new_device'))}`);
  t.equal(made.code, 0, made.stderr);
  const name = 'gpio-agg.1';
  t.equal((await sh(`echo both > ${q(daemon.path(name, 'line0', 'edge'))}`)).code, 0);
  const blocked = await openReader(daemon.path(name, 'line0', 'events'));
  const idle = await openReader(daemon.path(name, 'line1', 'events'));
  await daemon.lines.pull('gpiochip1', 3, 'pull-up');
  t.equal((await blocked.waitFor(1)).length, 1, 'the reader was live');
  const started = Date.now();
  t.equal((await sh(`echo ${name} > ${q(daemon.path('agg', 'delete_device'))}`)).code, 0);
  const [exit, idleExit] = await Promise.all([blocked.exited, idle.exited]);
  t.same(exit, { code: 0, signal: null }, 'cat exits 0 at end-of-file');
  t.same(idleExit, { code: 0, signal: null }, 'a reader that never got an event too');
  t.ok(Date.now() - started < EVENT_TIMEOUT_MS, 'promptly');
  t.match(blocked.lines, [/^[0-9]+ rising$/]);
  await daemon.lines.pull('gpiochip1', 3, 'pull-down');
});

t.test('a reader killed while blocked exits promptly; the daemon keeps serving', async (t) => {
  const line = 5;
  await set(t, line, 'edge', 'both');
  for (const signal of ['TERM', 'INT', 'KILL']) {
    const started = Date.now();
    const result = await run(['timeout', '-s', signal, '1', 'cat', attr(line, 'events')], { timeoutMs: 20000 });
    const elapsed = Date.now() - started;
    // coreutils timeout exits 124 after a timeout (137 or 128 when it used SIGKILL, depending on the version).
    t.ok(signal === 'KILL' ? [124, 128, 137].includes(result.code) : result.code === 124,
      `timeout -s ${signal}: cat was stopped (exit ${result.code}${result.stderr.trim()})`);
    t.equal(result.stdout, '');
    t.ok(elapsed < (BACKEND === 'sim' ? 4000 : 15000), `SIG${signal}: exited after ${elapsed} ms`);
  }
  // Still serving: a new reader gets the next edge.
  const reader = await openReader(attr(line, 'events'));
  await pull(line, true);
  t.same(parse(t, await reader.waitFor(1)).map((e) => e.type), ['rising']);
  await stopReader(t, reader);
  t.equal(await daemon.lines.level(CHIP, line), 1);
  await pull(line, false);
  await set(t, line, 'edge', 'none');
});

/*
 * Overflow: more than 1024 events queued before a read. The toggling shell
 * waits for each edge on a second, paced reader before raising the next one,
 * so every edge reaches the daemon (the kernel's own per-request buffer is
 * only 16 events deep) and the count is exact on both backends.
 */
const QUEUE_LIMIT = 1024;
const OVERFLOW_EXTRA = 76;

t.test(`overflow: ${QUEUE_LIMIT + OVERFLOW_EXTRA} edges before a read → "overflow ${OVERFLOW_EXTRA}" and the newest ${QUEUE_LIMIT}`, async (t) => {
  const line = 6;
  const toggles = QUEUE_LIMIT + OVERFLOW_EXTRA;
  await set(t, line, 'edge', 'both');
  const late = nonBlockingReader(attr(line, 'events'));
  t.teardown(() => late.close());
  t.equal(await late.read(), 'EAGAIN');
  const started = Date.now();
  const toggled = await sh(`
    exec 3< ${q(attr(line, 'events'))}
    for ((i = 0; i < ${toggles}; i++)); do
      if ((i % 2 == 0)); then echo pull-up > ${q(pullPath(CHIP, line))}; else echo pull-down > ${q(pullPath(CHIP, line))}; fi
      read -r event <&3 || { echo "no event after toggle $i" >&2; exit 1; }
    done`, { timeoutMs: BACKEND === 'sim' ? 60000 : 600000 });
  t.equal(toggled.code, 0, `${toggles} toggles in ${Date.now() - started} ms: ${toggled.stderr.trim()}`);
  const text = await late.read();
  const lines = text.split('\n');
  t.equal(lines.pop(), 'EAGAIN', 'the whole queue in one go, then EAGAIN');
  t.equal(lines[0], `overflow ${OVERFLOW_EXTRA}`, 'the overflow notice comes first, with the number dropped');
  const events = parse(t, lines.slice(1));
  t.equal(events.length, QUEUE_LIMIT, 'the newest events are kept');
  // The oldest were dropped: the kept ones start with edge number OVERFLOW_EXTRA (even → rising).
  const expected = Array.from({ length: QUEUE_LIMIT }, (_, i) => ((OVERFLOW_EXTRA + i) % 2 === 0 ? 'rising' : 'falling'));
  t.same(events.map((e) => e.type), expected);
  let ordered = true;
  for (let i = 1; i < events.length; i += 1) if ((events[i] as Event).ns <= (events[i - 1] as Event).ns) ordered = false;
  t.ok(ordered, 'timestamps increase throughout');
  t.equal(await late.read(), 'EAGAIN', 'the notice is given once');
  await late.close();
  await set(t, line, 'edge', 'none');
});
