// The ECS log of moderation events (pino + @elastic/ecs-pino-format), one JSON line each on stdout for Filebeat.
import { ecsFormat } from "@elastic/ecs-pino-format";
import pino from "pino";
import type { Stream } from "./cli.ts";
import type { Config } from "./config.ts";

/** A logger for flag and unflag events; always at least `info`, since they are the audit trail. */
export function moderationLogger(config: Config, stream: Stream): pino.Logger {
  const level = config.logLevel === "trace" || config.logLevel === "debug" ? config.logLevel : "info";
  return pino(
    {
      level,
      ...ecsFormat({
        apmIntegration: false,
        serviceName: "minitwit",
        serviceVersion: config.version,
        serviceEnvironment: config.env,
      }),
    },
    stream as pino.DestinationStream,
  );
}
