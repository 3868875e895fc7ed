import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError } from './failure.js';

/** Paths and helpers for commands driving a mounted gpio-aggfs from outside, as any client would. */
export class MountFiles {
  constructor(readonly mountpoint: string) {}

  path(...parts: string[]): string {
    return join(this.mountpoint, ...parts);
  }

  async read(...parts: string[]): Promise<string> {
    return readFile(this.path(...parts), 'utf8');
  }

  async attribute(...parts: string[]): Promise<string> {
    return (await this.read(...parts)).replace(/\n$/, '');
  }

  /** Names of the aggregators listed in agg/devices. */
  async aggregatorNames(): Promise<string[]> {
    const devices = await this.read('agg', 'devices');
    return devices.split('\n').filter((line) => line !== '').map((line) => line.split(' ')[0] as string);
  }

  /**
   * Write a control file; on failure report the errno and the daemon's
   * explanation from agg/last_error.
   */
  async control(file: 'new_device' | 'delete_device', text: string): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.path('agg', file), 'w');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'ENOENT' && !(await this.isMount())) {
        throw new CommandError(`${this.mountpoint} is not a gpio-aggfs mount`);
      }
      // Refused before the daemon saw the text (e.g. by the file's mode): last_error is about something else.
      throw new CommandError(`cannot open ${this.path('agg', file)}: ${strerror(err)}`);
    }
    try {
      await handle.writeFile(text);
    } catch (err) {
      const reason = await this.read('agg', 'last_error').then((t) => t.trim(), () => '');
      throw new CommandError(reason !== '' ? reason : `${file}: ${strerror(err)}`);
    } finally {
      await handle.close();
    }
  }

  private async isMount(): Promise<boolean> {
    return readFile(this.path('agg', 'devices')).then(() => true, () => false);
  }
}

/** "permission denied (EACCES)" rather than Node's "EACCES: permission denied, open '…'". */
function strerror(err: unknown): string {
  const { code, message } = err as NodeJS.ErrnoException;
  const text = message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return code === undefined ? text : `${text} (${code})`;
}
