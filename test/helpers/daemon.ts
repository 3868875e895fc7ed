import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resetKernelLines } from './kernel-lines.js';
import { run, withoutRunnerHooks } from './run.js';
import { TRANSPORT, type TransportName } from './transports.js';

/**
 * The checkout: the nearest directory above this file with a package.json
 * (test/helpers/ as TypeScript, dist/tests/test/helpers/ once compiled).
 */
export const ROOT = checkoutAbove(dirname(fileURLToPath(import.meta.url)));
export const BIN = join(ROOT, 'bin', 'gpio-aggfs');
/** The board both backends run on: simulated here, gpio-sim chips in the VM. */
export const BOARD = join(ROOT, 'fixtures', 'vm-board.json');

/** Inside the VM the behaviour suite runs against real chips through libgpiod. */
export const BACKEND: 'sim' | 'libgpiod' = process.env.GPIO_AGGFS_VM === '1' ? 'libgpiod' : 'sim';
// A safety net, not a speed check: on a loaded machine Node alone can take many
// seconds to start, and under the VM's emulation a start can take minutes.
const READY_TIMEOUT_MS = BACKEND === 'libgpiod' ? 300000 : 60000;
/** What the mount command prints once it serves (lib/cli/mount-command.ts). */
const READY_LINE = 'gpio-aggfs: serving ';

/**
 * Drives a simulated line's pull and reads its physical level: through the
 * mount's `.sim/` files on the simulated backend, through gpio-sim's sysfs
 * files against the kernel.
 */
export class LineControl {
  constructor(private readonly mountpoint: string) {}

  private path(chip: string, offset: number, file: 'pull' | 'value'): string {
    return BACKEND === 'sim'
      ? join(this.mountpoint, '.sim', chip, `sim_gpio${offset}`, file)
      : join('/sys/bus/gpio/devices', chip, `sim_gpio${offset}`, file);
  }

  async pull(chip: string, offset: number, pull: 'pull-up' | 'pull-down'): Promise<void> {
    await writeFile(this.path(chip, offset, 'pull'), pull);
  }

  async level(chip: string, offset: number): Promise<number> {
    return Number((await readFile(this.path(chip, offset, 'value'), 'utf8')).trim());
  }
}

export interface Daemon {
  readonly mountpoint: string;
  readonly process: ChildProcess;
  readonly lines: LineControl;
  /** Everything the daemon printed so far. */
  output(): string;
  /** Send a signal and wait for the exit; resolves to the exit code (or 128+signal). */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** Path inside the mount. */
  path(...parts: string[]): string;
}

export interface DaemonOptions {
  /** Extra `mount` arguments (--state, --config …). */
  readonly args?: readonly string[];
  /** Reuse this mountpoint (restart tests). */
  readonly mountpoint?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Board file of the simulated backend (default BOARD). */
  readonly board?: string;
  /** Who serves the mount (default: TRANSPORT, from GPIO_AGGFS_TRANSPORT). */
  readonly transport?: TransportName;
}

export async function newMountpoint(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'gpio-aggfs-test-'));
  // Other users must be able to reach the mount for the permission tests.
  await chmod(base, 0o755);
  return join(base, 'mnt');
}

/** Start `gpio-aggfs mount` as a separate process and wait until agg/new_device exists. */
export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  // Real gpio-sim lines keep their state between daemons: start each from the VM's initial state.
  if (BACKEND === 'libgpiod') resetKernelLines();
  const mountpoint = options.mountpoint ?? await newMountpoint();
  const backendArgs = BACKEND === 'sim' ? ['--sim', options.board ?? BOARD] : [];
  const transportArgs = ['--transport', options.transport ?? TRANSPORT];
  const [command, ...args] = withoutRunnerHooks([process.execPath, BIN, 'mount', mountpoint, ...backendArgs, ...transportArgs, ...(options.args ?? [])]);
  const child = spawn(command as string, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number>((done) => {
    child.on('exit', (code, signal) => done(code ?? 128 + (signal === null ? 0 : osSignal(signal))));
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gpio-aggfs exited before it was ready:\n${output}`);
    }
    // Ready once it has said so (the line naming the GPIO library) and the mount answers:
    // the mount can answer before that line has reached us.
    if (output.includes(READY_LINE) && await stat(join(mountpoint, 'agg', 'new_device')).then(() => true, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gpio-aggfs not ready after ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    mountpoint,
    process: child,
    lines: new LineControl(mountpoint),
    output: () => output,
    path: (...parts) => join(mountpoint, ...parts),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      // A killed instance leaves a stale mount behind; clear it so the next test starts clean.
      if (signal === 'SIGKILL') await run(['fusermount', '-uz', mountpoint]);
      return code;
    },
  };
}

function checkoutAbove(dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at;
    if (dirname(at) === at) throw new Error(`no package.json above ${dir}`);
  }
}

function osSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 0;
}

/**
 * SIGTERM, and wait up to `timeoutMs` for the exit; a daemon that has not
 * stopped by then is killed and its stale mount cleared.
 */
export async function stopOrKill(instance: Daemon, timeoutMs = 15000): Promise<void> {
  const timeout = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), timeoutMs).unref());
  if (await Promise.race([instance.stop(), timeout]) === 'timeout') await instance.stop('SIGKILL');
}
