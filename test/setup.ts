// Preloaded by bunfig.toml for every test file: hooks start real databases and processes, which
// take longer than Bun's 5 s default on a busy 2-core machine (bunfig has no timeout setting).
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(30_000);
