// Test support: a command run to its end as a child process, with what it printed and how long it took.
export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `cmd` to completion; without `env` it inherits this process's environment. */
export async function run(
  cmd: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Finished> {
  const started = performance.now();
  const child = Bun.spawn(cmd, { cwd: options.cwd, env: options.env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
}
