// Checks .github/workflows: every file parses, jobs and steps are well-formed, `needs` exist, actions are
// pinned, the files the steps name exist, and CI and CD contain the stages that deploy.md asks for.
import { existsSync, readdirSync } from "node:fs";

type Step = { name?: string; uses?: string; run?: string; if?: string };
type Job = {
  "runs-on"?: string;
  uses?: string;
  needs?: string | string[];
  if?: string;
  steps?: Step[];
  services?: object;
};
type Workflow = { name?: string; on?: Record<string, unknown>; jobs?: Record<string, Job> };

const dir = ".github/workflows";
const problems: string[] = [];
const texts: Record<string, string> = {};

function check(ok: unknown, message: string): void {
  if (!ok) problems.push(message);
}

for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
  const path = `${dir}/${file}`;
  let workflow: Workflow;
  try {
    workflow = Bun.YAML.parse(await Bun.file(path).text()) as Workflow;
  } catch (error) {
    problems.push(`${path}: does not parse: ${(error as Error).message}`);
    continue;
  }
  check(workflow.name, `${path}: no name`);
  check(workflow.on && Object.keys(workflow.on).length > 0, `${path}: no triggers (on:)`);
  const jobs = workflow.jobs ?? {};
  check(Object.keys(jobs).length > 0, `${path}: no jobs`);
  const runs: string[] = [];
  for (const [id, job] of Object.entries(jobs)) {
    check(job["runs-on"] || job.uses, `${path}: job ${id} has neither runs-on nor uses`);
    const needs = typeof job.needs === "string" ? [job.needs] : (job.needs ?? []);
    for (const need of needs) check(need in jobs, `${path}: job ${id} needs unknown job ${need}`);
    if (job.uses) continue;
    check(Array.isArray(job.steps) && job.steps.length > 0, `${path}: job ${id} has no steps`);
    for (const [i, step] of (job.steps ?? []).entries()) {
      check(Boolean(step.uses) !== Boolean(step.run), `${path}: ${id} step ${i + 1} needs exactly one of uses/run`);
      if (step.uses) check(/^[\w.-]+\/[\w./-]+@v?\d/.test(step.uses), `${path}: ${id} uses unpinned ${step.uses}`);
      if (step.run) runs.push(step.run);
    }
  }
  texts[file] = await Bun.file(path).text();
  for (const run of runs) {
    for (const [named] of run.matchAll(/\b(?:swarm|test|\.ci)\/[\w./-]+\.(?:sh|ts|yml|conf)\b/g)) {
      check(existsSync(named), `${path}: a step names ${named}, which does not exist`);
    }
  }
}

const ci = texts["ci.yml"] ?? "";
const cd = texts["cd.yml"] ?? "";
check(ci, "ci.yml is missing");
check(cd, "cd.yml is missing");
const ciWorkflow = (ci ? Bun.YAML.parse(ci) : {}) as Workflow;
check(
  ciWorkflow.on && "push" in ciWorkflow.on && "pull_request" in ciWorkflow.on,
  "ci.yml: not on push and pull_request",
);
for (const [what, pattern] of [
  ["Biome", /biome ci/],
  ["type check", /npm run typecheck/],
  ["a PostgreSQL service container", /services:\s*\n\s*postgres:/],
  ["tests with lcov coverage", /bun test --coverage --coverage-reporter=lcov/],
  ["the dashboards-are-fresh check", /npm run dashboards[\s\S]*git diff --exit-code/],
  ["promtool check config", /promtool check config/],
  ["promtool test rules", /promtool test rules/],
  ["docker stack config", /docker stack config -c swarm\/stack\.yml/],
  ["nginx -t", /swarm\/check-nginx\.sh/],
  ["the executable smoke test", /npm run build[\s\S]*test\/deploy\/executable\.e2e\.ts/],
  ["the image build", /docker\/build-push-action/],
  ["SonarCloud gated on its token", /secrets\.SONAR_TOKEN != ''[\s\S]*sonarqube-scan-action/],
] as const) {
  check(pattern.test(ci), `ci.yml: missing ${what}`);
}
const cdWorkflow = (cd ? Bun.YAML.parse(cd) : {}) as Workflow & { on?: { workflow_run?: { branches?: string[] } } };
check(cdWorkflow.on?.workflow_run?.branches?.includes("main"), "cd.yml: does not run for main");
for (const [what, pattern] of [
  ["an image push tagged with version and commit", /push: true[\s\S]*outputs\.version[\s\S]*sha-/],
  ["a git tag", /git tag "v\$VERSION"/],
  ["a release", /gh release create/],
  ["a deploy over SSH", /ssh "\$TARGET"[\s\S]*swarm\/deploy\.sh/],
  ["a /health check", /\/health/],
  ["a rollback", /docker service rollback/],
] as const) {
  check(pattern.test(cd), `cd.yml: missing ${what}`);
}

if (problems.length > 0) {
  for (const p of problems) console.error(`workflow check: ${p}`);
  process.exit(1);
}
console.log(`workflows OK: ${Object.keys(texts).join(", ")}`);
