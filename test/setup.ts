// Preloaded by bunfig.toml: hooks start real databases and processes, which take longer than Bun's 5 s
// default on a busy 2-core machine. setDefaultTimeout here reaches the first file only when several
// files run together, so `npm test` also passes `--timeout 30000`; this covers e2e files run alone.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(30_000);
