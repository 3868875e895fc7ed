import { spawn } from 'node:child_process';
import { errnoFromMessage } from './errno.js';

export interface Identity {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups. */
  readonly groups?: readonly number[];
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The errno the command reported, from its strerror text. */
  readonly errno: string | undefined;
}

/**
 * The test runner injects NODE_OPTIONS (its coverage/process-info hooks)
 * into every process a test spawns, whatever env is passed; those hooks break
 * `bin/gpio-aggfs`, an extensionless ES module. `env -u` drops them (and execs,
 * so the pid stays the command's).
 */
export function withoutRunnerHooks(argv: readonly string[]): string[] {
  return ['env', '-u', 'NODE_OPTIONS', ...argv];
}

/**
 * How long a command may run before it is killed, unless the caller says: a
 * safety net against hangs, not a speed check. Under the VM's emulation on a
 * busy machine a few shell commands can take longer than 30 s.
 */
const DEFAULT_TIMEOUT_MS = process.env.GPIO_AGGFS_VM === '1' ? 300000 : 30000;

/** Run a command in a separate process (optionally as another user, through setpriv). */
export function run(argv: readonly string[], options: { as?: Identity; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const { as } = options;
  const command = withoutRunnerHooks(as === undefined ? argv : [
    'setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`,
    as.groups === undefined || as.groups.length === 0 ? '--clear-groups' : `--groups=${as.groups.join(',')}`,
    '--', ...argv,
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr, errno: errnoFromMessage(stderr) });
    });
    // A command that exits without reading its input closes the pipe first: not an error of the command.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** `bash -c script`: bash reports write errors with their strerror text (dash only says "I/O error"). */
export function sh(script: string, options: { as?: Identity; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(['bash', '-c', script], options);
}

/** Quote for a shell word. */
export function q(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
