import { chmod, chown, link, lstat, mkdir, open, readdir, readFile, realpath, rename, rmdir, stat, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPollClient, type PollMode } from './poll-client.js';

/**
 * One script of legacy sysfs GPIO use, run against a view of the layout of
 * /sys/class/gpio (the kernel's own, or gpio-aggfs' `sysfs-gpio/`), that
 * writes down what it saw: the differential test runs it against both and
 * compares the lists. Every step is a name and the result as text: a file's
 * content, "ok", or the errno name of the failure.
 */
export interface Observation {
  readonly step: string;
  readonly result: string;
}

/** What the scenario needs of the machine around the view. */
export interface ScenarioWorld {
  /** Pull a line of a chip (by kernel chip name) up or down: what drives an input. */
  pull(chip: string, offset: number, pull: 'pull-up' | 'pull-down'): Promise<void>;
  /** A line's physical level, "0" or "1". */
  level(chip: string, offset: number): Promise<string>;
  /** Make the test's own chip (label HOTPLUG_LABEL, HOTPLUG_LINES lines) live; resolves to its kernel name. */
  addChip(): Promise<string>;
  /** Make it unlive again. */
  removeChip(): Promise<void>;
  /** Another process requests the line (as an output at 0); resolves once it holds it, to a release. */
  holdLine(chip: string, offset: number): Promise<() => Promise<void>>;
  /** The compiled test/helpers/poll-client.c. */
  readonly pollClient: string;
}

/** The chip the line steps use (fixtures/vm-board.json's second chip) and the chip made live and unlive. */
export const MAIN_LABEL = 'sim-b';
export const HOTPLUG_LABEL = 'sim-diff';
export const HOTPLUG_LINES = 4;
/** How long a chip may take to appear or vanish in a view (gpio-aggfs promises 1 s). */
const HOTPLUG_WAIT_MS = 5000;
/** How long a poll wake-up may take (the daemon under emulation is slow); a wait meant to time out takes less. */
const WAKE_TIMEOUT_MS = 30000;
const QUIET_TIMEOUT_MS = 2000;
const TWO_32 = 2 ** 32;

/*
 * The only places where the two views may legitimately differ, each normalised here:
 *
 * 1. The top-level `gpiochipB` and `gpioN` entries: the kernel's are symlinks
 *    into /sys/devices (…/gpio-sim.1/gpiochip1/gpio/gpiochip1000); the views
 *    serve them as directories, since a symlink out of the view would dangle
 *    once the view alone is bind-mounted at /sys/class/gpio in a container.
 *    They are looked at through the link (stat, not lstat).
 * 2. Symlinks (`device`, `subsystem`) are recorded by where they resolve
 *    (realpath), the view's root written as "<root>": the kernel's link text
 *    is relative (../../../gpiochip1), gpio-aggfs' absolute (/sys/devices/…)
 *    or relative to the mount; both resolve to the same directory.
 * 3. power/runtime_active_time and power/runtime_suspended_time are
 *    milliseconds of device life: recorded as "<ms>" when they are a number.
 */
const TIMING_FILES = new Set(['runtime_active_time', 'runtime_suspended_time']);

export async function runSysfsScenario(root: string, world: ScenarioWorld): Promise<Observation[]> {
  const seen: Observation[] = [];
  const note = (step: string, result: string): void => { seen.push({ step, result }); };
  const at = (rel: string): string => join(root, rel);

  /** As `echo text > file` (`printf text > file` when `newline` is false): open for writing (O_TRUNC), one write. */
  const write = async (rel: string, text: string, newline = true): Promise<string> => {
    let handle;
    try {
      handle = await open(at(rel), 'w');
    } catch (err) {
      return errnoOf(err);
    }
    let result = 'ok';
    try {
      await handle.write(newline ? `${text}\n` : text);
    } catch (err) {
      result = errnoOf(err);
    }
    try {
      await handle.close();
    } catch (err) {
      if (result === 'ok') result = errnoOf(err);
    }
    return result;
  };
  const echo = async (rel: string, text: string): Promise<string> => {
    const result = await write(rel, text);
    note(`echo ${JSON.stringify(text)} > ${rel}`, result);
    return result;
  };
  const printf = async (rel: string, text: string): Promise<void> => {
    note(`printf ${JSON.stringify(text)} > ${rel}`, await write(rel, text, false));
  };
  /** A file system call on the view: "ok" or its errno. */
  const call = async (step: string, action: () => Promise<unknown>): Promise<void> => {
    note(step, await action().then(() => 'ok', errnoOf));
  };
  const readText = async (rel: string): Promise<string> => {
    try {
      return JSON.stringify(await readFile(at(rel), 'utf8'));
    } catch (err) {
      return errnoOf(err);
    }
  };
  const cat = async (rel: string): Promise<string> => {
    const result = await readText(rel);
    note(`cat ${rel}`, result);
    return result;
  };
  const level = async (chip: string, offset: number, what: string): Promise<void> => {
    note(`level of ${what}`, await world.level(chip, offset));
  };

  /** type, mode, owner, group and size of one entry; `follow` for the top-level entries (normalisation 1). */
  const describe = async (rel: string, follow: boolean): Promise<string> => {
    try {
      const s = follow ? await stat(at(rel)) : await lstat(at(rel));
      const type = s.isSymbolicLink() ? 'l' : s.isDirectory() ? 'd' : s.isFile() ? '-' : '?';
      return `${type}${(s.mode & 0o7777).toString(8).padStart(4, '0')} ${s.uid}:${s.gid} size ${s.size} links ${s.nlink}`;
    } catch (err) {
      return errnoOf(err);
    }
  };
  const resolved = async (rel: string): Promise<string> => {
    try {
      const target = await realpath(at(rel));
      const base = await realpath(root);
      return target === base ? '<root>' : target.startsWith(`${base}/`) ? `<root>/${target.slice(base.length + 1)}` : target;
    } catch (err) {
      return errnoOf(err);
    }
  };
  /** Every entry below a directory of the view: its description, and its content or link target. */
  const tree = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(at(rel))).sort();
    } catch (err) {
      note(`ls ${rel}`, errnoOf(err));
      return;
    }
    note(`ls ${rel}`, names.join(' '));
    for (const name of names) {
      const path = `${rel}/${name}`;
      const description = await describe(path, false);
      note(`stat ${path}`, description);
      if (description.startsWith('l')) {
        note(`realpath ${path}`, await resolved(path));
      } else if (description.startsWith('d')) {
        await tree(path);
      } else {
        const content = await readText(path);
        note(`cat ${path}`, TIMING_FILES.has(name) && /^"\d+\\n"$/.test(content) ? '<ms>' : content);
      }
    }
  };
  const top = async (): Promise<void> => {
    const names = (await readdir(root)).sort();
    note('ls', names.join(' '));
    for (const name of names) note(`stat ${name}`, await describe(name, true));
  };
  /** The gpiochipB entry whose label is `label`, waiting up to `waitMs` for it to appear. */
  const chipBase = async (label: string, waitMs: number): Promise<number | undefined> => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      for (const name of await readdir(root)) {
        const match = /^gpiochip(\d+)$/.exec(name);
        if (match !== null && await readFile(at(`${name}/label`), 'utf8').then((text) => text === `${label}\n`, () => false)) {
          return Number(match[1]);
        }
      }
      if (Date.now() >= deadline) return undefined;
      await sleep(100);
    }
  };
  const gone = async (rel: string, waitMs: number): Promise<boolean> => {
    const deadline = Date.now() + waitMs;
    while (await stat(at(rel)).then(() => true, () => false)) {
      if (Date.now() >= deadline) return false;
      await sleep(100);
    }
    return true;
  };

  /**
   * Wait on `gpioN/value` with `mode`, then change the pull; records whether
   * the wait woke (and the mask), what the value read then, and whether a
   * further wait is quiet after that read.
   */
  const pollWake = async (gpio: number, chip: string, offset: number, mode: PollMode, pull: 'pull-up' | 'pull-down', expectWake: boolean): Promise<void> => {
    const step = `${mode} on gpio${gpio}/value, ${pull}`;
    const client = startPollClient(world.pollClient, mode, at(`gpio${gpio}/value`), expectWake ? WAKE_TIMEOUT_MS : QUIET_TIMEOUT_MS);
    try {
      const first = await client.line('read ').catch((err: Error) => `failed: ${err.message}`);
      note(`${step}: first read`, first);
      await client.line('waiting');
      await sleepingInWait(client.child.pid as number);
      await world.pull(chip, offset, pull);
      const outcome = await Promise.race([client.line('ready'), client.line('timeout')]);
      note(`${step}: woke`, outcome.startsWith('ready') ? `yes, ${outcome}` : 'no');
      const again = outcome.startsWith('ready') ? await client.line('after-reread') : '';
      note(`${step}: read after waking`, client.lines.filter((text) => text.startsWith('read ')).slice(1).join(' / '));
      note(`${step}: waiting again`, again);
      note(`${step}: exit status`, String(await client.exited));
    } catch (err) {
      note(`${step}: failed`, err instanceof Error ? err.message : String(err));
      client.child.kill();
      await client.exited;
    }
  };

  // ---- The chips, the top directory and every file of a chip.
  const base = await chipBase(MAIN_LABEL, 0);
  if (base === undefined) {
    note(`gpiochip with label ${MAIN_LABEL}`, 'missing');
    return seen;
  }
  const chip = await chipNameOf(root, base);
  await top();
  for (const name of (await readdir(root)).sort()) if (name.startsWith('gpiochip')) await tree(name);
  await cat('export');
  await cat('unexport');
  for (const file of ['base', 'label', 'ngpio']) await echo(`gpiochip${base}/${file}`, '1');

  // ---- export/unexport: numbers as kstrtol reads them, numbers no chip has, junk.
  const a = base;
  for (const bad of ['junk', '', '-1', '0', '1', '99999', String(a - 1), `${a} `, ` ${a}`, '0x', `${a}x`, '2147483648', '99999999999999999999']) {
    await echo('export', bad);
    await echo('unexport', bad);
  }
  await echo('export', String(a));
  await echo('export', String(a));
  await echo('export', `0x${a.toString(16)}`);
  await tree(`gpio${a}`);
  await echo('unexport', `0x${a.toString(16)}`);
  await cat(`gpio${a}/value`);
  await echo('unexport', String(a));
  await echo('export', `0${a.toString(8)}`);
  await cat(`gpio${a}/direction`);
  // gpio_to_desc() takes an unsigned int: a long beyond 32 bits wraps.
  for (const wrapped of [String(a + 1 + TWO_32), String(a + 1 - TWO_32)]) {
    await echo('export', wrapped);
    await cat(`gpio${a + 1}/direction`);
    await echo('unexport', wrapped);
  }
  await cat(`gpio${a + 1}/direction`);
  await echo('unexport', String(a + 3));

  // ---- direction and value.
  const g = `gpio${a}`;
  await cat(`${g}/direction`);
  await echo(`${g}/direction`, 'sideways');
  await echo(`${g}/direction`, 'IN');
  await echo(`${g}/value`, '1');
  await echo(`${g}/value`, 'junk');
  await world.pull(chip, 0, 'pull-up');
  await cat(`${g}/value`);
  await world.pull(chip, 0, 'pull-down');
  await cat(`${g}/value`);
  for (const direction of ['high', 'low', 'high', 'out', 'in']) {
    await echo(`${g}/direction`, direction);
    await cat(`${g}/direction`);
    await cat(`${g}/value`);
    await level(chip, 0, g);
  }
  await echo(`${g}/direction`, 'out');
  for (const value of ['1', '0', '2', '-1', '0x0', 'junk', 'on', '']) {
    await echo(`${g}/value`, value);
    await cat(`${g}/value`);
    await level(chip, 0, g);
  }

  // ---- active_low.
  await echo(`${g}/active_low`, 'x');
  await echo(`${g}/active_low`, '1');
  await cat(`${g}/active_low`);
  await cat(`${g}/value`);
  await level(chip, 0, g);
  await echo(`${g}/direction`, 'high');
  await cat(`${g}/value`);
  await level(chip, 0, g);
  await echo(`${g}/value`, '1');
  await level(chip, 0, g);
  await echo(`${g}/active_low`, '5');
  await cat(`${g}/active_low`);
  await echo(`${g}/active_low`, '0');
  await cat(`${g}/value`);
  await level(chip, 0, g);
  await echo(`${g}/direction`, 'in');
  await cat(`${g}/value`);

  // ---- edge.
  await cat(`${g}/edge`);
  await echo(`${g}/edge`, 'up');
  for (const edge of ['rising', 'falling', 'both', 'both', 'none']) {
    await echo(`${g}/edge`, edge);
    await cat(`${g}/edge`);
  }
  await echo(`${g}/direction`, 'out');
  await echo(`${g}/edge`, 'rising');
  await cat(`${g}/edge`);
  await echo(`${g}/edge`, 'none');
  await echo(`${g}/direction`, 'in');
  await echo(`${g}/edge`, 'both');
  await echo(`${g}/direction`, 'out');
  await cat(`${g}/edge`);
  await echo(`${g}/edge`, 'both');
  await echo(`${g}/edge`, 'falling');
  await cat(`${g}/edge`);
  await echo(`${g}/direction`, 'in');
  await cat(`${g}/edge`);

  // ---- poll wake-ups on pull changes, by select (exceptfds), poll (POLLPRI) and epoll.
  await world.pull(chip, 0, 'pull-down');
  await echo(`${g}/edge`, 'both');
  await pollWake(a, chip, 0, 'select-except', 'pull-up', true);
  await pollWake(a, chip, 0, 'poll-pri', 'pull-down', true);
  await pollWake(a, chip, 0, 'epoll-et', 'pull-up', true);
  await echo(`${g}/edge`, 'rising');
  await pollWake(a, chip, 0, 'poll-pri', 'pull-down', false);
  await pollWake(a, chip, 0, 'select-except', 'pull-up', true);
  await echo(`${g}/edge`, 'none');
  await pollWake(a, chip, 0, 'poll-pri', 'pull-down', false);
  // Active low: the rising edge of the value is the falling edge of the pin.
  await echo(`${g}/active_low`, '1');
  await echo(`${g}/edge`, 'rising');
  await world.pull(chip, 0, 'pull-up');
  await sleep(200);
  await pollWake(a, chip, 0, 'epoll-et', 'pull-down', true);
  await echo(`${g}/edge`, 'none');
  await echo(`${g}/active_low`, '0');

  // ---- power/ and uevent of a line.
  await echo(`${g}/power/control`, 'on');
  await cat(`${g}/power/control`);
  await cat(`${g}/power/runtime_usage`);
  await cat(`${g}/power/runtime_enabled`);
  await echo(`${g}/power/control`, 'auto');
  await echo(`${g}/power/control`, 'sometimes');
  await echo(`${g}/power/autosuspend_delay_ms`, '100');
  await echo(`${g}/uevent`, 'change');
  await echo(`${g}/uevent`, 'explode');
  await tree(g);

  // ---- writes as printf makes them (no newline) and with more than one newline.
  await printf(`${g}/active_low`, '1');
  await cat(`${g}/active_low`);
  await printf(`${g}/active_low`, '0');
  await printf(`${g}/direction`, 'out');
  await cat(`${g}/direction`);
  await printf(`${g}/direction`, 'in\n\n');
  await printf(`${g}/direction`, 'in');
  await cat(`${g}/direction`);
  await printf(`${g}/edge`, 'both \n');
  await printf(`${g}/value`, '');
  await printf('export', `${a + 4}`);
  await printf('unexport', `${a + 4}\n\n`);
  await printf('unexport', `${a + 4}`);

  // ---- the namespace: what may be made, removed, renamed, linked, chmod'ed and chown'ed.
  await call('mkdir foo', () => mkdir(at('foo')));
  await call(`mkdir ${g}/foo`, () => mkdir(at(`${g}/foo`)));
  await call('create newfile', () => writeFile(at('newfile'), '', { flag: 'wx' }));
  await call(`create ${g}/newfile`, () => writeFile(at(`${g}/newfile`), '', { flag: 'wx' }));
  await call('rm export', () => unlink(at('export')));
  await call(`rm ${g}/value`, () => unlink(at(`${g}/value`)));
  await call(`rmdir ${g}/power`, () => rmdir(at(`${g}/power`)));
  // (Not rmdir of gpioN itself: the kernel's is a symlink, ENOTDIR; see normalisation 1.)
  await call('mv export export2', () => rename(at('export'), at('export2')));
  await call(`ln -s x ${g}/link`, () => symlink('x', at(`${g}/link`)));
  await call(`ln export ${g}/hard`, () => link(at('export'), at(`${g}/hard`)));
  await call(`chmod 600 ${g}/value`, () => chmod(at(`${g}/value`), 0o600));
  note(`stat ${g}/value`, await describe(`${g}/value`, false));
  await call(`chmod 644 ${g}/value`, () => chmod(at(`${g}/value`), 0o644));
  await call(`chown 1:1 ${g}/edge`, () => chown(at(`${g}/edge`), 1, 1));
  note(`stat ${g}/edge`, await describe(`${g}/edge`, false));
  await call(`chown 0:0 ${g}/edge`, () => chown(at(`${g}/edge`), 0, 0));
  await call(`truncate ${g}/value`, () => truncate(at(`${g}/value`), 0));
  await echo(`${g}/direction`, 'out');
  await call(`open ${g}/value O_RDWR, write at offset 1`, async () => {
    const handle = await open(at(`${g}/value`), 'r+');
    try {
      await handle.write('1', 1);
    } finally {
      await handle.close();
    }
  });
  await cat(`${g}/value`);
  await echo(`${g}/direction`, 'in');
  await call(`opendir ${g}/value`, () => readdir(at(`${g}/value`)));
  await call(`open ${g} for writing`, () => open(at(g), 'w').then((handle) => handle.close()));

  // ---- a line held by another process; and one left as an output by it.
  const release = await world.holdLine(chip, 15);
  await echo('export', String(a + 15));
  await echo('unexport', String(a + 15));
  await release();
  await echo('export', String(a + 15));
  await cat(`gpio${a + 15}/direction`);
  await echo('unexport', String(a + 15));

  // ---- chip hotplug: a chip of our own made live and unlive.
  await world.addChip();
  const h = await chipBase(HOTPLUG_LABEL, HOTPLUG_WAIT_MS);
  note(`gpiochip labelled ${HOTPLUG_LABEL} appears`, h === undefined ? 'no' : `yes, gpiochip${h}`);
  if (h !== undefined) {
    const hotplugChip = await chipNameOf(root, h);
    await tree(`gpiochip${h}`);
    await echo('export', String(h + 1));
    await world.pull(hotplugChip, 1, 'pull-up');
    await cat(`gpio${h + 1}/value`);
    await echo('export', String(h - 1));
    await world.removeChip();
    note(`gpiochip${h} vanishes`, String(await gone(`gpiochip${h}`, HOTPLUG_WAIT_MS)));
    note(`gpio${h + 1} vanishes`, String(await gone(`gpio${h + 1}`, HOTPLUG_WAIT_MS)));
    await cat(`gpio${h + 1}/value`);
    await echo('export', String(h + 1));
    await echo('unexport', String(h + 1));
  } else {
    await world.removeChip();
  }

  // ---- unexport; the top directory as left.
  await echo('unexport', String(a));
  await cat(`${g}/value`);
  await echo('unexport', String(a));
  await top();
  return seen;
}

/** The kernel chip name (gpiochipN) behind gpiochipB: `device` of an exported line would say; its parent's entry does too. */
async function chipNameOf(root: string, base: number): Promise<string> {
  // gpiochipB/device is the chip's parent device (gpio-sim.K); its gpiochipN entry is the chip.
  const parent = await realpath(join(root, `gpiochip${base}`, 'device'));
  const entries = await readdir(parent);
  const chips = entries.filter((name) => /^gpiochip\d+$/.test(name));
  if (chips.length === 1) return chips[0] as string;
  // The simulated backend links gpiochipB/device to .sim/gpiochipN itself.
  const own = /\/(gpiochip\d+)$/.exec(parent);
  if (own !== null) return own[1] as string;
  throw new Error(`gpiochip${base}: cannot tell its chip from ${parent} (${entries.join(' ')})`);
}

function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : `error ${String(err)}`;
}

/** Resolves once `pid` sleeps in select/poll/epoll (past a FUSE poll request, which answers before the sleep). */
async function sleepingInWait(pid: number): Promise<void> {
  const deadline = Date.now() + WAKE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const wchan = await readFile(`/proc/${pid}/wchan`, 'utf8').catch(() => '');
    if (/select|poll/.test(wchan) && !/fuse|request_wait_answer/.test(wchan)) return;
    await sleep(20);
  }
}

/** The steps whose results differ, as "step: kernel → view" lines (steps present in one list only included). */
export function differences(expected: readonly Observation[], actual: readonly Observation[]): string[] {
  const out: string[] = [];
  const length = Math.max(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    const e = expected[i];
    const v = actual[i];
    if (e?.step !== v?.step) {
      out.push(`#${i}: the steps part here: "${e?.step ?? '(end)'}" → "${v?.step ?? '(end)'}"`);
      break;
    }
    if (e !== undefined && v !== undefined && e.result !== v.result) out.push(`#${i} ${e.step}: ${e.result} → ${v.result}`);
  }
  return out;
}
