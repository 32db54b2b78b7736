// How the bench tools (simulate, seed, bench) run from the command line: the tool's exit code, or its
// error message and usage with exit code 2, never a stack trace; and their numeric options.
export async function runCommand(main: (argv: string[]) => Promise<number>, usage: string): Promise<void> {
  try {
    process.exitCode = await main(Bun.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    console.error(usage);
    process.exitCode = 2;
  }
}

/** A whole number of at least 1 given for `--name`; undefined when the option is absent. */
export function positiveInteger(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, not "${raw}"`);
  return value;
}
