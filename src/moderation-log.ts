// The ECS log of moderation events: src/log.ts's logger, one JSON line each on stdout for Filebeat.
import { openSync, writeSync } from "node:fs";
import type pino from "pino";
import type { Stream } from "./cli.ts";
import { type Config, ConfigError } from "./config.ts";
import { createLogger } from "./log.ts";

/**
 * Where the events go: the command's stdout, and also MINITWIT_EVENT_LOG when set. Under `docker exec`
 * stdout is the operator's terminal, not the container's log; /proc/1/fd/1 is. Opened before anything
 * changes, so a path that cannot be written stops the command first.
 */
export function eventStream(config: Config, stdout: Stream): Stream {
  if (!config.eventLog) return stdout;
  let fd: number;
  try {
    fd = openSync(config.eventLog, "a");
  } catch (error) {
    throw new ConfigError(`MINITWIT_EVENT_LOG: cannot write ${config.eventLog}: ${(error as Error).message}`);
  }
  return {
    write(text: string) {
      stdout.write(text);
      writeSync(fd, text);
    },
  };
}

/** A logger for flag and unflag events; always at least `info`, since they are the audit trail. */
export function moderationLogger(config: Config, stream: Stream): pino.Logger {
  const logLevel = config.logLevel === "trace" || config.logLevel === "debug" ? config.logLevel : "info";
  return createLogger({ ...config, logLevel }, stream as pino.DestinationStream).child({
    "service.name": "minitwit-cli",
  });
}
