// Entry point of the program and of the compiled executable: `minitwit [command]` (see src/cli.ts).
import { runCli } from "./cli.ts";

const code = await runCli(Bun.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
if (code !== undefined) {
  process.exitCode = code;
  // Let stdout drain and the process end by itself; a handle left open must not keep it alive.
  setTimeout(() => process.exit(code), 2000).unref();
}
