/**
 * Which libgpiod serves the real chips. `auto` (the default) takes libgpiod
 * 2.x when the system's `libgpiod.so.3` loads (Debian 13, Ubuntu 24.04,
 * Raspberry Pi OS trixie, Fedora), else libgpiod 1.6 through node-libgpiod.
 * `2` insists on 2.x and also looks where .ci/install builds it on releases
 * that package only 1.6 (Debian 12); `1` insists on 1.6. Chosen by
 * `--gpio-library`, else GPIO_AGGFS_GPIO_LIBRARY; GPIO_AGGFS_LIBGPIOD2 names
 * the 2.x shared object to load instead of searching.
 */
import { existsSync } from 'node:fs';
import { GpioAggError } from '../errors.js';
import type { Libgpiod2 } from './libgpiod2-ffi.js';

export const GPIO_LIBRARIES = ['auto', '1', '2'] as const;
export type GpioLibraryChoice = (typeof GPIO_LIBRARIES)[number];

/** Where `.ci/libgpiod-build 2` installs libgpiod 2.2.1 on Debian 12. */
export const BUILT_LIBGPIOD2 = '/var/cache/gpio-aggfs/libgpiod-2.2.1/lib/libgpiod.so.3';

export const GPIO_LIBRARY_ENV = 'GPIO_AGGFS_GPIO_LIBRARY';
export const LIBGPIOD2_PATH_ENV = 'GPIO_AGGFS_LIBGPIOD2';

/** The choice from the option, else the environment, else `auto`. EINVAL for anything else. */
export function gpioLibraryChoice(option: string | undefined, env: NodeJS.ProcessEnv = process.env): GpioLibraryChoice {
  const text = option ?? env[GPIO_LIBRARY_ENV] ?? 'auto';
  const choice = GPIO_LIBRARIES.find((c) => c === text);
  if (choice === undefined) {
    const from = option !== undefined ? '--gpio-library' : GPIO_LIBRARY_ENV;
    throw new GpioAggError('EINVAL', `${from} must be one of ${GPIO_LIBRARIES.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return choice;
}

/**
 * Load libgpiod 2.x for `choice` (not `1`): the file GPIO_AGGFS_LIBGPIOD2
 * names, else the system's soname, and for an explicit `2` also the
 * .ci/install build. ENOENT with every reason when none loads.
 */
export async function findLibgpiod2(choice: Exclude<GpioLibraryChoice, '1'>, env: NodeJS.ProcessEnv = process.env): Promise<Libgpiod2> {
  // koffi is loaded only here: commands that never touch GPIO do not pay for it.
  const { LIBGPIOD2_SONAME, loadLibgpiod2 } = await import('./libgpiod2-ffi.js');
  const named = env[LIBGPIOD2_PATH_ENV];
  const candidates = named ? [named] : [LIBGPIOD2_SONAME, ...(choice === '2' && existsSync(BUILT_LIBGPIOD2) ? [BUILT_LIBGPIOD2] : [])];
  const failures: string[] = [];
  for (const path of candidates) {
    try {
      return loadLibgpiod2(path);
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  throw new GpioAggError('ENOENT', `libgpiod 2.x not found: ${failures.join('; ')}`);
}
