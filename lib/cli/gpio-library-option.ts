import type { Options } from 'yargs';
import { GPIO_LIBRARIES } from '../gpio/gpio-library.js';

/** `--gpio-library 1|2|auto` of the commands that open real chips. */
export const GPIO_LIBRARY_OPTION: Options = {
  type: 'string',
  choices: GPIO_LIBRARIES,
  describe: 'libgpiod generation for real chips: 2 (libgpiod.so.3), 1 (1.6, node-libgpiod) or auto '
    + '(2 when the system has it, else 1); default GPIO_AGGFS_GPIO_LIBRARY, else auto. With --sim: the library the simulation imitates',
};
