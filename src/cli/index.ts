/** The CLI's entry point (bin/observatory loads the built copy): runs the program once and exits with its code. */
import { exitsPromptly, main } from './program.js';

const code = await main();
process.exitCode = code;
// the answer is out; a socket to a frozen server must not hold the process (unref'd: a process
// with nothing left to do still ends at once)
if (exitsPromptly()) setTimeout(() => process.exit(code), 200).unref();
