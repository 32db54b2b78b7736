// The accessibility check of the browser test: axe-core (from npm) run in the page, serious and
// critical findings reported with where they are.
import { readFileSync } from "node:fs";
import type { AxeResults } from "axe-core";
import type { Page } from "playwright-core";

const SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** WCAG 2.2 A and AA, and axe's best practices. */
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

export interface Finding {
  state: string;
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Runs axe over the page as it is now. Evaluated through the DevTools protocol, so the page's CSP
 * (scripts from 'self' only) stays on and is tested at the same time.
 */
export async function axeFindings(page: Page, state: string): Promise<Finding[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(SOURCE);
  const results = (await page.evaluate(
    (tags) =>
      (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<unknown> } }).axe.run(document, {
        runOnly: { type: "tag", values: tags },
        resultTypes: ["violations"],
      }),
    TAGS,
  )) as AxeResults;
  return results.violations.map((v) => ({
    state,
    rule: v.id,
    impact: v.impact ?? "unknown",
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}

export function isSerious(finding: Finding): boolean {
  return finding.impact === "serious" || finding.impact === "critical";
}
