import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './daemon.js';
import { run, type Identity } from './run.js';

export type PollMode = 'select-except' | 'poll-pri' | 'epoll-et' | 'select-read' | 'read-eintr';

/** Build test/helpers/poll-client.c with cc; resolves to the binary. */
export async function buildPollClient(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-poll-'));
  // Other users run it too.
  await chmod(dir, 0o755);
  const binary = join(dir, 'poll-client');
  const built = await run(['cc', '-O2', '-Wall', '-Werror', '-o', binary, join(ROOT, 'test', 'helpers', 'poll-client.c')]);
  if (built.code !== 0) throw new Error(`cannot build the poll client: ${built.stderr}`);
  return binary;
}

export interface PollClient {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line starting with `prefix` (rejects if the client exits first). */
  line(prefix: string): Promise<string>;
  /** Exit code (or 128 + signal). */
  readonly exited: Promise<number>;
}

/** Start the C client (a separate process, optionally as another user). */
export function startPollClient(binary: string, mode: PollMode, path: string, timeoutMs: number, as?: Identity): PollClient {
  const argv = [binary, mode, path, String(timeoutMs)];
  const command = as === undefined ? argv : [
    'setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`,
    as.groups === undefined || as.groups.length === 0 ? '--clear-groups' : `--groups=${as.groups.join(',')}`, '--', ...argv,
  ];
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
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
        waiter.reject(new Error(`${mode} client exited (${code ?? signal}) before "${waiter.prefix}": ${lines.join(' / ')} ${stderr}`));
      }
      resolve(code ?? 128);
    });
  });
  return {
    child, lines, exited,
    line: (prefix) => {
      const found = lines.find((text) => text.startsWith(prefix));
      if (found !== undefined) return Promise.resolve(found);
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`${mode} client exited before "${prefix}": ${lines.join(' / ')} ${stderr}`));
      }
      return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
    },
  };
}

/** Resolves once `pid` sleeps inside a FUSE request (its read or poll reached the daemon). */
export async function blockedInFuse(pid: number): Promise<void> {
  for (;;) {
    const wchan = await readFile(`/proc/${pid}/wchan`, 'utf8').catch(() => '');
    if (/fuse|request_wait_answer/.test(wchan)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
