/** The CLI's entry point (bin/observatory loads the built copy): runs the program once and exits with its code. */
import { main } from './program.js';

process.exitCode = await main();
