// The bare HTTP ceiling: an Elysia server that answers a constant, on the port given as argument.
import { Elysia } from "elysia";

const port = Number(Bun.argv[2] ?? 6504);
new Elysia().get("/", () => "ok").listen({ port, hostname: "127.0.0.1" });
