import type { Test } from 'tap';
import { findLibgpiod2 } from '../../lib/gpio/gpio-library.js';
import type { Libgpiod2 } from '../../lib/gpio/libgpiod2-ffi.js';

export { BUILT_LIBGPIOD2 } from '../../lib/gpio/gpio-library.js';

/**
 * libgpiod 2.x for the tests, found as `--gpio-library 2` finds it: the one
 * GPIO_AGGFS_LIBGPIOD2 names, else the system's (Debian 13), else the one
 * .ci/install built (Debian 12). In CI a missing library is a failure (the
 * install provides it); elsewhere the file is skipped with the reason.
 */
export async function libgpiod2ForTests(t: Test): Promise<Libgpiod2 | undefined> {
  try {
    return await findLibgpiod2('2');
  } catch (err) {
    const why = `${err instanceof Error ? err.message : String(err)}; bash .ci/install provides it`;
    if (process.env.CI === 'true') t.fail(why);
    else t.plan(0, why);
    return undefined;
  }
}
