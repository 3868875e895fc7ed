import { readFile } from 'node:fs/promises';
import { buildCHelper, startLineClient, type LineClient } from './line-client.js';
import type { Identity } from './run.js';

export type PollMode = 'select-except' | 'poll-pri' | 'epoll-et' | 'select-read' | 'read-eintr';

/** Build test/helpers/poll-client.c with cc; resolves to the binary. */
export function buildPollClient(): Promise<string> {
  return buildCHelper('poll-client');
}

export type PollClient = LineClient;

/** Start the C client (a separate process, optionally as another user). */
export function startPollClient(binary: string, mode: PollMode, path: string, timeoutMs: number, as?: Identity): PollClient {
  const argv = [binary, mode, path, String(timeoutMs)];
  const command = as === undefined ? argv : [
    'setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`,
    as.groups === undefined || as.groups.length === 0 ? '--clear-groups' : `--groups=${as.groups.join(',')}`, '--', ...argv,
  ];
  return startLineClient(command, `${mode} client`);
}

/** Resolves once `pid` sleeps inside a FUSE request (its read or poll reached the daemon). */
export async function blockedInFuse(pid: number): Promise<void> {
  for (;;) {
    const wchan = await readFile(`/proc/${pid}/wchan`, 'utf8').catch(() => '');
    if (/fuse|request_wait_answer/.test(wchan)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
