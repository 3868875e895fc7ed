import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './daemon.js';
import { run } from './run.js';

/** Build test/helpers/NAME.c with cc into a directory other users can reach; resolves to the binary. */
export async function buildCHelper(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gpio-aggfs-${name}-`));
  // Other users run it too.
  await chmod(dir, 0o755);
  const binary = join(dir, name);
  const built = await run(['cc', '-O2', '-Wall', '-Werror', '-o', binary, join(ROOT, 'test', 'helpers', `${name}.c`)]);
  if (built.code !== 0) throw new Error(`cannot build ${name}.c: ${built.stderr}`);
  return binary;
}

/** A C helper running in a separate process that reports one line at a time on stdout. */
export interface LineClient {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line starting with `prefix` (rejects if the client exits first). */
  line(prefix: string): Promise<string>;
  /** Exit code (or 128 + signal). */
  readonly exited: Promise<number>;
  /** What it wrote to stderr so far. */
  stderr(): string;
}

/** Start `argv` (`label` names it in failures) and collect its stdout lines. */
export function startLineClient(argv: readonly string[], label: string): LineClient {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      lines.push(text);
      for (const waiter of [...waiters]) {
        if (text.startsWith(waiter.prefix)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(text);
        }
      }
    }
  });
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new Error(`${label} exited (${code ?? signal}) before "${waiter.prefix}": ${lines.join(' / ')} ${stderr}`));
      }
      resolve(code ?? 128);
    });
  });
  return {
    child, lines, exited,
    stderr: () => stderr,
    line: (prefix) => {
      const found = lines.find((text) => text.startsWith(prefix));
      if (found !== undefined) return Promise.resolve(found);
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`${label} exited before "${prefix}": ${lines.join(' / ')} ${stderr}`));
      }
      return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
    },
  };
}
