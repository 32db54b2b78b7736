import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import pkg from "../../package.json";

const ROOT = resolve(import.meta.dir, "../..");
const dockerfile = await Bun.file(`${ROOT}/Dockerfile`).text();
const dockerignore = await Bun.file(`${ROOT}/.dockerignore`).text();
const lines = dockerfile.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
const stages = lines.filter((l) => l.startsWith("FROM "));
const runStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

describe("[dockerfile] image", () => {
  test("[dockerfile] builds on Bun's image at package.json's Bun version and runs on a small base", () => {
    expect(stages.length).toBe(2);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, read literally
    expect(stages[0]).toBe("FROM oven/bun:${BUN_VERSION} AS build");
    expect(dockerfile).toContain(`ARG BUN_VERSION=${pkg.devDependencies.bun}`);
    expect(stages[1]).toMatch(/^FROM gcr\.io\/distroless\/cc-debian12:nonroot$/);
  });

  test("[dockerfile] installs exactly the locked runtime dependencies and compiles with npm run build", () => {
    expect(dockerfile).toContain("bun install --production --frozen-lockfile --ignore-scripts");
    expect(dockerfile).toContain("RUN bun run build");
    expect(pkg.scripts.build).toContain("bun build --compile");
    expect(pkg.scripts.build).toContain("--outfile dist/minitwit");
  });

  test("[dockerfile] the run stage holds the executable only, as a non-root user who owns only /app/data", () => {
    expect(runStage).toContain("COPY --from=build /out/minitwit /app/minitwit\n");
    expect(runStage).toContain("COPY --from=build --chown=nonroot:nonroot /out/data /app/data\n");
    expect(runStage.match(/--chown=/g)?.length).toBe(1);
    expect(runStage).toContain("USER nonroot");
    expect(runStage).toContain('ENTRYPOINT ["/app/minitwit"]');
    expect(runStage).not.toMatch(/^COPY (?!--from=build)/m);
  });

  test("[dockerfile] builds offline: no `# syntax=` line that BuildKit would pull", () => {
    expect(dockerfile).not.toMatch(/^# *syntax=/m);
  });

  test("[dockerfile] HEALTHCHECK asks /health through the executable's healthcheck command", () => {
    expect(runStage).toMatch(/HEALTHCHECK [^\n]*\\\n\s+CMD \["\/app\/minitwit", "healthcheck"\]/);
  });

  test("[dockerfile] OCI labels carry the version and revision build arguments", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, read literally
    expect(runStage).toContain('org.opencontainers.image.version="${VERSION}"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, read literally
    expect(runStage).toContain('org.opencontainers.image.revision="${REVISION}"');
    expect(runStage).toMatch(/ARG VERSION=/);
    expect(runStage).toMatch(/ARG REVISION=/);
  });

  test("[dockerfile] no secret is baked in, and production refuses the defaults", () => {
    expect(dockerfile).not.toMatch(/SECRET_KEY|SIM_PASSWORD|DATABASE_URL|PASSWORD/);
    expect(runStage).toContain("NODE_ENV=production");
  });

  test("[dockerfile] .dockerignore lets through only what the build stage copies", () => {
    expect(dockerignore.split("\n")[1]).toBe("*");
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? "").split(" "));
    expect(copied.length).toBeGreaterThan(0);
    for (const source of copied) {
      expect({ source, allowed: dockerignore.includes(`!${source.replace(/\/?$/, "")}`) }).toEqual({
        source,
        allowed: true,
      });
    }
  });
});
