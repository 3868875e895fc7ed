import t, { type Test } from 'tap';
import { startDaemon, stopOrKill } from '../helpers/daemon.js';
import { resetLines } from '../helpers/line-files.js';
import { blockedInFuse, buildPollClient, startPollClient, type PollMode } from '../helpers/poll-client.js';
import { q, sh } from '../helpers/run.js';
import { CAN, TRANSPORT } from '../helpers/transports.js';
import { testUsers } from '../helpers/users.js';

/*
 * Legacy clients waiting on files of the mount with select/poll/epoll, and
 * blocked readers hit by a signal, as real C programs in separate processes
 * (test/helpers/poll-client.c). Edges come from the simulated lines' pull.
 * gpio-agg.0 is "gpiochip0 0-7": lineK is gpiochip0 K.
 */

t.setTimeout(240_000);

/** How long a client waits for what must not come. */
const QUIET_MS = 500;
/** A safety net for what must come. */
const LONG_MS = 30_000;
const POLLPRI = 0x2;
const POLLERR = 0x8;
const EPOLLPRI = 0x2;

const binary = await buildPollClient();
const daemon = await startDaemon();
const lines = Array.from({ length: 8 }, (_, k) => ['gpiochip0', k] as const);
t.teardown(async () => {
  await resetLines(daemon, 'gpio-agg.0', lines).catch(() => {});
  await stopOrKill(daemon);
});
const created = await sh(`echo 'gpiochip0 0-7' > ${q(daemon.path('agg', 'new_device'))}`);
if (created.code !== 0) throw new Error(`cannot create the aggregator: ${created.stderr}`);
await resetLines(daemon, 'gpio-agg.0', lines);

async function set(line: number, file: string, value: string): Promise<void> {
  const result = await sh(`echo ${q(value)} > ${q(daemon.path('gpio-agg.0', `line${line}`, file))}`);
  if (result.code !== 0) throw new Error(`echo ${value} > line${line}/${file}: ${result.stderr}`);
}

const pull = (line: number, up: boolean): Promise<void> => daemon.lines.pull('gpiochip0', line, up ? 'pull-up' : 'pull-down');
const VALUE_MODES: readonly PollMode[] = ['select-except', 'poll-pri', 'epoll-et'];

if (!CAN.poll) {
  t.test(`${TRANSPORT} cannot answer poll (capability table): select on value never reports an exception`, async (t) => {
    await set(0, 'edge', 'both');
    const client = startPollClient(binary, 'select-except', daemon.path('gpio-agg.0', 'line0', 'value'), QUIET_MS);
    await client.line('waiting');
    await pull(0, true);
    t.equal(await client.line('timeout'), 'timeout');
    await pull(0, false);
  });
} else {
  let offset = 0;
  for (const mode of VALUE_MODES) {
    // One line per mode, so that the modes' edges do not mix.
    const line = offset;
    offset += 1;
    t.test(`${mode} on lineK/value wakes on an edge; re-reading from offset 0 clears it`, async (t) => {
      await set(line, 'edge', 'both');
      const client = startPollClient(binary, mode, daemon.path('gpio-agg.0', `line${line}`, 'value'), LONG_MS);
      t.equal(await client.line('read '), 'read 0', 'the value before the edge');
      await client.line('waiting');
      await pull(line, true);
      const ready = await client.line('ready');
      const mask = Number(ready.split(' ')[1]);
      if (mode === 'poll-pri') t.equal(mask & (POLLPRI | POLLERR), POLLPRI | POLLERR, `${ready}: POLLPRI|POLLERR`);
      else if (mode === 'epoll-et') t.ok(mask & EPOLLPRI, `${ready}: EPOLLPRI`);
      else t.ok(mask & POLLPRI, `${ready}: in exceptfds`);
      t.equal(await client.line('read 1'), 'read 1', 'the re-read sees the new level');
      t.equal(await client.line('after-reread'), 'after-reread quiet', 'no exception after the re-read');
      t.equal(await client.exited, 0);
      await pull(line, false);
    });
  }

  t.test('no wake-up without an edge, and none with edge "none" even when the level changes', async (t) => {
    await set(3, 'edge', 'both');
    await set(4, 'edge', 'none');
    const quiet = VALUE_MODES.map((mode) => startPollClient(binary, mode, daemon.path('gpio-agg.0', 'line3', 'value'), QUIET_MS));
    const noEdge = VALUE_MODES.map((mode) => startPollClient(binary, mode, daemon.path('gpio-agg.0', 'line4', 'value'), QUIET_MS));
    for (const client of [...quiet, ...noEdge]) await client.line('waiting');
    await pull(4, true);
    for (const [i, client] of quiet.entries()) t.equal(await client.line('timeout'), 'timeout', `${VALUE_MODES[i]}: nothing happened`);
    for (const [i, client] of noEdge.entries()) t.equal(await client.line('timeout'), 'timeout', `${VALUE_MODES[i]}: edge none`);
    t.equal(Number((await sh(`cat ${q(daemon.path('gpio-agg.0', 'line4', 'value'))}`)).stdout.trim()), 1, 'the level did change');
    await pull(4, false);
  });

  t.test('the sysfs view\'s gpioN/value polls like lineK/value', async (t) => {
    await set(5, 'edge', 'rising');
    const base = (await sh(`ls ${q(daemon.path('gpio-agg.0', 'sysfs-gpio'))}`)).stdout.split('\n').find((name) => /^gpiochip\d+$/.test(name));
    t.ok(base, 'the view lists the chip');
    const number = Number((await sh(`cat ${q(daemon.path('gpio-agg.0', 'sysfs-gpio', base as string, 'base'))}`)).stdout.trim()) + 5;
    const exported = await sh(`echo ${number} > ${q(daemon.path('gpio-agg.0', 'sysfs-gpio', 'export'))}`);
    t.equal(exported.code, 0, `export ${number}: ${exported.stderr}`);
    const client = startPollClient(binary, 'poll-pri', daemon.path('gpio-agg.0', 'sysfs-gpio', `gpio${number}`, 'value'), LONG_MS);
    await client.line('waiting');
    await pull(5, true);
    t.match(await client.line('ready'), /^ready /);
    t.equal(await client.line('after-reread'), 'after-reread quiet');
    await pull(5, false);
    await sh(`echo ${number} > ${q(daemon.path('gpio-agg.0', 'sysfs-gpio', 'unexport'))}`);
  });

  t.test('select on events is readable only once an event is queued', async (t) => {
    await set(6, 'edge', 'both');
    const events = daemon.path('gpio-agg.0', 'line6', 'events');
    const idle = startPollClient(binary, 'select-read', events, QUIET_MS);
    t.equal(await idle.line('timeout'), 'timeout', 'nothing queued: not readable');
    const waiting = startPollClient(binary, 'select-read', events, LONG_MS);
    // Open before "waiting": the edge is queued for it whether or not select has started yet.
    await waiting.line('waiting');
    await pull(6, true);
    t.equal(await waiting.line('ready'), 'ready readable');
    t.match(await waiting.line('read '), /^read \d+ rising$/);
    await pull(6, false);
  });

  t.test('other files answer poll as always ready (never ENOSYS)', async (t) => {
    const client = startPollClient(binary, 'select-read', daemon.path('gpio-agg.0', 'line0', 'direction'), LONG_MS);
    t.equal(await client.line('ready'), 'ready readable');
    t.equal(await client.line('read '), 'read in');
  });
}

t.test(`a reader interrupted by a signal gets EINTR${CAN.interruptPerRequest ? '; another user\'s blocked reader keeps waiting and gets the next event' : ''}`, async (t: Test) => {
  await set(7, 'edge', 'both');
  const events = daemon.path('gpio-agg.0', 'line7', 'events');
  const { alice } = await testUsers();
  const interrupted = startPollClient(binary, 'read-eintr', events, 0);
  const other = startPollClient(binary, 'read-eintr', events, 0, alice);
  for (const client of [interrupted, other]) {
    await client.line('waiting');
    await blockedInFuse(client.child.pid as number);
  }
  interrupted.child.kill('SIGUSR1');
  t.equal(await interrupted.line('error'), 'error EINTR');
  if (CAN.interruptPerRequest) {
    await pull(7, true);
    t.match(await other.line('read '), /^read \d+ rising$/, 'the other reader got the next event');
  } else {
    t.equal(await other.line('error'), 'error EINTR', `${TRANSPORT} fails every waiting read (capability table)`);
  }
  t.equal(await other.exited, 0);
  await pull(7, false);
});
