// Loopback ports for child processes that choose their own: the OS picks a free one, and this
// process never hands out the same port twice, because a port freed a moment ago is often the very
// next one the OS picks, and two children told the same port would answer for each other.
const handedOut = new Set<number>();

/** A loopback port nothing listens on right now, distinct from every port handed out before. */
export function freePort(): number {
  for (;;) {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
