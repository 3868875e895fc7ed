// The libgpiod command-line tools on PATH, in either generation: 1.x (Debian
// 12: `gpioget CHIP N`, `gpioset --mode=…`, gpioinfo's columns) and 2.x
// (Debian 13: `gpioget -c CHIP N`, `gpioset -t0`, gpioinfo's `key=value`
// attributes). The kernel tests speak through these helpers, so the same test
// runs in a root with either generation.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether the tools on PATH are of the 2.x generation (they print "v2.x" for --version). */
export function gpioToolsV2(): boolean {
  return /\bv2\./.test(execFileSync('gpioget', ['--version'], { encoding: 'utf8' }));
}

/** A line as `gpioinfo` shows it. */
export interface ToolLineInfo {
  readonly name: string;
  /** '' when the line is not in use. */
  readonly consumer: string;
  readonly direction: 'input' | 'output';
  readonly activeLow: boolean;
}

const unquote = (text: string): string => (text.startsWith('"') ? text.slice(1, -1) : '');

/**
 * Parse one line of gpioinfo's output, or undefined when it is no line entry.
 *   1.x: `\tline   9:      unnamed  "gpioset"  output  active-high [used]`
 *   2.x: `\tline   9:\tunnamed\toutput active-low consumer="gpioset"`
 */
export function parseGpioinfoLine(text: string): ({ offset: number } & ToolLineInfo) | undefined {
  const m = /^\s*line\s+(\d+):\s*(unnamed|"[^"]*")\s+(.*)$/.exec(text);
  if (!m) return undefined;
  const rest = m[3]!;
  const v1 = /^(unused|"[^"]*")\s+(input|output)\s+(active-high|active-low)/.exec(rest);
  if (v1) {
    return { offset: Number(m[1]), name: unquote(m[2]!), consumer: unquote(v1[1]!), direction: v1[2] as 'input' | 'output', activeLow: v1[3] === 'active-low' };
  }
  const direction = /(?:^|\s)(input|output)(?:\s|$)/.exec(rest)?.[1];
  if (!direction) return undefined;
  const consumer = /(?:^|\s)consumer=(?:"([^"]*)"|(\S+))/.exec(rest);
  return {
    offset: Number(m[1]),
    name: unquote(m[2]!),
    consumer: consumer ? (consumer[1] ?? consumer[2]!) : '',
    direction: direction as 'input' | 'output',
    activeLow: /(?:^|\s)active-low(?:\s|$)/.test(rest),
  };
}

/** Arguments of `gpioinfo` for one chip. */
export function gpioinfoArgs(chip: string): string[] {
  return gpioToolsV2() ? ['-c', chip] : [chip];
}

/** `gpioinfo` of one line of a chip. */
export function gpioinfo(chip: string, offset: number): ToolLineInfo {
  const out = execFileSync('gpioinfo', gpioinfoArgs(chip), { encoding: 'utf8' });
  for (const text of out.split('\n')) {
    const info = parseGpioinfoLine(text);
    if (info?.offset === offset) {
      const { offset: _offset, ...line } = info;
      return line;
    }
  }
  throw new Error(`gpioinfo ${chip} has no line ${offset}:\n${out}`);
}

/** Arguments of `gpioget` for lines of a chip. */
export function gpiogetArgs(chip: string, ...offsets: number[]): string[] {
  const lines = offsets.map(String);
  return gpioToolsV2() ? ['-c', chip, ...lines] : [chip, ...lines];
}

/** Arguments of a `gpioset` that sets one line and exits. */
export function gpiosetOnceArgs(chip: string, offset: number, value: 0 | 1): string[] {
  return gpioToolsV2() ? ['-t0', '-c', chip, `${offset}=${value}`] : ['--mode=exit', chip, `${offset}=${value}`];
}

/** Arguments of a `gpioset` that holds one line until it is signalled. */
export function gpiosetHoldArgs(chip: string, offset: number, value: 0 | 1): string[] {
  return gpioToolsV2() ? ['-c', chip, `${offset}=${value}`] : ['--mode=signal', chip, `${offset}=${value}`];
}

/** Start a `gpioset` holding a line; resolves once gpioinfo shows it as the consumer. `stop` ends it. */
export async function holdWithGpioset(chip: string, offset: number, value: 0 | 1): Promise<{ stop: () => Promise<void> }> {
  const child: ChildProcess = spawn('gpioset', gpiosetHoldArgs(chip, offset, value), { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const end = Date.now() + 10_000;
  while (gpioinfo(chip, offset).consumer !== 'gpioset') {
    if (Date.now() > end || child.exitCode !== null) {
      await stop();
      throw new Error(`gpioset did not take ${chip} ${offset}`);
    }
    await sleep(20);
  }
  return { stop };
}
