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
  // The process ends by itself once stdout has drained (a slow pipe such as `| less` included).
  // After a failure, a database client may still be retrying a connection: do not wait for it.
  if (code !== 0) setTimeout(() => process.exit(), 500).unref();
}
