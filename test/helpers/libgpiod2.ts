import { existsSync } from 'node:fs';
import type { Test } from 'tap';
import { LIBGPIOD2_SONAME, type Libgpiod2, loadLibgpiod2 } from '../../lib/gpio/libgpiod2-ffi.js';

/** Where .ci/libgpiod2-build puts libgpiod 2.x on releases that package 1.6 only. */
export const BUILT_LIBGPIOD2 = '/var/cache/gpio-aggfs/libgpiod-2.2.1/lib/libgpiod.so.3';

/**
 * libgpiod 2.x for the tests: the one GPIO_AGGFS_LIBGPIOD2 names, else the
 * system's (Debian 13), else the one .ci/install built (Debian 12). In CI a
 * missing library is a failure (the install provides it); elsewhere the
 * file is skipped with the reason.
 */
export function libgpiod2ForTests(t: Test): Libgpiod2 | undefined {
  const candidates = process.env.GPIO_AGGFS_LIBGPIOD2
    ? [process.env.GPIO_AGGFS_LIBGPIOD2]
    : [LIBGPIOD2_SONAME, ...(existsSync(BUILT_LIBGPIOD2) ? [BUILT_LIBGPIOD2] : [])];
  const failures: string[] = [];
  for (const path of candidates) {
    try {
      return loadLibgpiod2(path);
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  const why = `no libgpiod 2.x (${failures.join('; ')}); bash .ci/install provides it`;
  if (process.env.CI === 'true') t.fail(why);
  else t.plan(0, why);
  return undefined;
}
