// The legacy sysfs view against the kernel's own /sys/class/gpio, in the VM
// (bash test/vm/run.sh -- bash test/vm/run-tests.sh test/gpio/sysfs-differential.test.ts):
// one scenario (test/helpers/sysfs-scenario.ts) run against the kernel's view
// with no daemon holding the lines, then against <mnt>/sysfs-gpio/ of one
// daemon on the same gpio-sim chips, numbered with the kernel's bases
// (--sysfs-base); every step must give the same result.
//
// Linux 6.1 (the VM's kernel) never frees a chip removed while some of its
// lines were requested (gpiod_free() skips the last put once the chip is
// gone): it stays in the kernel's list as a "dangling chip" and keeps its
// numbers, and an export of one of them through the kernel's /sys/class/gpio
// dereferences the missing chip and oopses. Earlier VM files remove chips
// under requested lines on purpose (ENODEV tests), and the scenario exports
// the number just below the board's lowest chip, where such a chip lands; so
// this file runs first in its VM (.ci/test), and refuses to write a number to
// the kernel's view at all while a dangling chip exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import t from 'tap';
import { startDaemon, stopOrKill, type Daemon } from '../helpers/daemon.js';
import { holdWithGpioset } from '../helpers/gpio-tools.js';
import { createRemovableChip, resetKernelLines, type RemovableChip } from '../helpers/kernel-lines.js';
import { buildPollClient } from '../helpers/poll-client.js';
import { differences, HOTPLUG_LABEL, HOTPLUG_LINES, runSysfsScenario, type Observation, type ScenarioWorld } from '../helpers/sysfs-scenario.js';

const KERNEL_VIEW = '/sys/class/gpio';
const simFile = (chip: string, offset: number, file: 'pull' | 'value'): string => `/sys/bus/gpio/devices/${chip}/sim_gpio${offset}/${file}`;

/** The kernel base of the chip labelled `label` in /sys/class/gpio. */
function kernelBase(label: string): number | undefined {
  for (const name of readdirSync(KERNEL_VIEW)) {
    const match = /^gpiochip(\d+)$/.exec(name);
    if (match !== null && readFileSync(`${KERNEL_VIEW}/${name}/label`, 'utf8') === `${label}\n`) return Number(match[1]);
  }
  return undefined;
}

/** Lines a failed kernel run left exported would be busy for the daemon: unexport them. */
function unexportAll(): void {
  for (const name of readdirSync(KERNEL_VIEW)) {
    const match = /^gpio(\d+)$/.exec(name);
    if (match !== null) writeFileSync(`${KERNEL_VIEW}/unexport`, match[1] as string);
  }
}

/** Chips the kernel lists as dangling in debugfs (mounted here when it is not yet). */
function danglingChips(): string[] {
  const file = '/sys/kernel/debug/gpio';
  if (!existsSync(file)) execFileSync('mount', ['-t', 'debugfs', 'debugfs', '/sys/kernel/debug'], { stdio: 'ignore' });
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('(dangling chip)'))
    .map((line) => line.trim().replace(/:.*$/, ''));
}

async function differential(): Promise<void> {
  const started = Date.now();
  const dangling = danglingChips();
  if (dangling.length > 0) {
    t.fail(
      `the kernel holds dangling chips (${dangling.join(', ')}): a chip removed while its lines were requested, ` +
        "which Linux 6.1 never frees; an export of its numbers through the kernel's /sys/class/gpio would oops the kernel, " +
        'so the differential must run before any test that removes a chip under requested lines (first in its VM)',
    );
    return;
  }
  const pollClient = await buildPollClient();
  let hotplug: RemovableChip | undefined;
  let hotplugBase: number | undefined;
  t.teardown(() => hotplug?.destroy());

  const world: ScenarioWorld = {
    pollClient,
    pull: (chip, offset, pull) => writeFile(simFile(chip, offset, 'pull'), pull),
    level: async (chip, offset) => (await readFile(simFile(chip, offset, 'value'), 'utf8')).trim(),
    addChip: async () => {
      hotplug = createRemovableChip('sysfs-diff', HOTPLUG_LINES, HOTPLUG_LABEL);
      hotplugBase ??= kernelBase(HOTPLUG_LABEL);
      return hotplug.name;
    },
    removeChip: async () => {
      hotplug?.destroy();
      hotplug = undefined;
    },
    holdLine: async (chip, offset) => (await holdWithGpioset(chip, offset, 0)).stop,
  };

  resetKernelLines();
  const kernelStart = Date.now();
  let kernel: Observation[];
  try {
    kernel = await runSysfsScenario(KERNEL_VIEW, world);
  } finally {
    unexportAll();
  }
  const kernelSeconds = (Date.now() - kernelStart) / 1000;

  const bases: string[] = [];
  const { chips } = JSON.parse(readFileSync(process.env.GPIO_AGGFS_VM_CHIPS ?? '/run/gpio-aggfs-vm/chips.json', 'utf8')) as { chips: { name: string; label: string }[] };
  for (const { name, label } of chips) {
    const base = kernelBase(label);
    if (base !== undefined) bases.push('--sysfs-base', `${name}=${base}`);
  }
  if (hotplugBase !== undefined) bases.push('--sysfs-base', `${HOTPLUG_LABEL}=${hotplugBase}`);
  const daemon: Daemon = await startDaemon({ args: bases });
  t.teardown(() => stopOrKill(daemon));
  const viewStart = Date.now();
  const view = await runSysfsScenario(daemon.path('sysfs-gpio'), world);
  const viewSeconds = (Date.now() - viewStart) / 1000;

  const differing = differences(kernel, view);
  t.comment(`daemon: ${bases.join(' ')}`);
  t.comment(`${kernel.length} steps; kernel's view ${kernelSeconds.toFixed(1)} s, gpio-aggfs' ${viewSeconds.toFixed(1)} s, in all ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.ok(kernel.length > 300, `the scenario ran through on the kernel's view (${kernel.length} steps)`);
  t.equal(view.length, kernel.length, 'the same steps on both views');
  if (differing.length > 0) t.comment(`steps that differ (kernel → gpio-aggfs):\n${differing.join('\n')}`);
  if (process.env.GPIO_AGGFS_DIFF_LOG === '1') t.comment(kernel.map(({ step, result }) => `${step}: ${result}`).join('\n'));
  t.same(differing, [], 'every step gives the same result on both views');
}

const mustRun = process.env.GPIO_AGGFS_VM === '1' || process.env.CI === 'true';
if (!existsSync('/dev/gpiochip0') || !existsSync(`${KERNEL_VIEW}/export`)) {
  const why = 'needs the gpio-sim VM with CONFIG_GPIO_SYSFS (bash test/vm/run.sh -- bash test/vm/run-tests.sh test/gpio/sysfs-differential.test.ts)';
  if (mustRun) t.fail(`no /dev/gpiochip0 or ${KERNEL_VIEW}/export: this test ${why}`);
  else t.plan(0, `no kernel GPIO sysfs on this machine; it ${why}`);
} else {
  t.setTimeout(1_200_000);
  await differential();
}
