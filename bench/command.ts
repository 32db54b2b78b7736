// How the bench tools (simulate, seed, bench) run from the command line: the tool's exit code, or its
// error message and usage with exit code 2, never a stack trace.
export async function runCommand(main: (argv: string[]) => Promise<number>, usage: string): Promise<void> {
  try {
    process.exitCode = await main(Bun.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    console.error(usage);
    process.exitCode = 2;
  }
}
