// Entry point of the program and of the compiled executable: `minitwit [command]` (see src/cli.ts).
import { runCli } from "./cli.ts";

const argv = Bun.argv.slice(2);
if (argv[0] !== undefined && argv[0] !== "serve" && !argv[0].startsWith("-")) {
  // A one-shot command reports its own errors; a library's stray rejection beside them must not
  // end the process with Bun's generic 1 instead of the command's documented exit code.
  process.on("unhandledRejection", (error) => {
    process.stderr.write(`minitwit ${argv[0]}: ${(error as Error)?.message ?? String(error)}\n`);
  });
}
const code = await runCli(argv, { env: process.env, stdout: process.stdout, stderr: process.stderr });
if (code !== undefined) {
  process.exitCode = code;
  // Let stdout drain and the process end by itself; a handle left open must not keep it alive.
  setTimeout(() => process.exit(), 2000).unref();
}
