// `npm run dashboards`: writes the three dashboards' JSON under observability/grafana/dashboards/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { businessDashboard } from "./business.ts";
import { importable } from "./datasources.ts";
import { infrastructureDashboard } from "./infrastructure.ts";
import { serviceLevelDashboard } from "./service-level.ts";

export const DASHBOARDS = {
  business: businessDashboard,
  infrastructure: infrastructureDashboard,
  "service-level": serviceLevelDashboard,
};

if (import.meta.main) {
  const out = join(import.meta.dir, "..", "grafana", "dashboards");
  mkdirSync(out, { recursive: true });
  for (const [name, make] of Object.entries(DASHBOARDS)) {
    writeFileSync(join(out, `${name}.json`), `${JSON.stringify(importable(make().build()), null, 2)}\n`);
    console.error(`wrote ${join(out, `${name}.json`)}`);
  }
}
