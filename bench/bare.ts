// A bare Elysia server answering a constant, on the port given as argument: the reference rows of the bench.
import { Elysia } from "elysia";

const port = Number(Bun.argv[2] ?? 6504);
new Elysia().get("/", () => "ok").listen({ port, hostname: "127.0.0.1" });
