// A loopback TCP relay for fault tests: sits between the program and PostgreSQL, can cut or stall the line.
import type { Socket, TCPSocketListener } from "bun";

/** One direction of a relayed connection, with a queue for what the socket could not take yet. */
interface Side {
  socket?: Socket<Side>;
  peer?: Side;
  queue: Uint8Array[];
  stalled: boolean;
}

function send(side: Side | undefined, chunk: Uint8Array) {
  if (!side) return;
  if (!side.socket || side.queue.length > 0) {
    side.queue.push(chunk);
    return;
  }
  const written = side.socket.write(chunk);
  if (written < chunk.length) side.queue.push(chunk.subarray(written));
}

function flush(side: Side) {
  while (side.socket && side.queue.length > 0) {
    const chunk = side.queue[0] as Uint8Array;
    const written = side.socket.write(chunk);
    if (written < chunk.length) {
      side.queue[0] = chunk.subarray(written);
      return;
    }
    side.queue.shift();
  }
}

/** A TCP relay on 127.0.0.1 to the PostgreSQL server, on a fixed port so the program's URL stays valid. */
export function relay(target: { hostname: string; port: number }) {
  const sides = new Set<Side>();
  let stalled = false;
  let listener: TCPSocketListener<Side> | undefined;
  let port = 0;
  function listen() {
    listener = Bun.listen<Side>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          const client: Side = { socket, queue: [], stalled };
          const server: Side = { queue: [], stalled, peer: client };
          client.peer = server;
          socket.data = client;
          sides.add(client).add(server);
          Bun.connect<Side>({
            ...target,
            socket: {
              open(upstream) {
                upstream.data = server;
                server.socket = upstream;
                flush(server);
              },
              data(upstream, chunk) {
                if (!upstream.data.stalled) send(upstream.data.peer, chunk);
              },
              drain: (upstream) => flush(upstream.data),
              close(upstream) {
                upstream.data.peer?.socket?.end();
              },
              error(upstream) {
                upstream.data.peer?.socket?.end();
              },
            },
          }).catch(() => socket.end());
        },
        data(socket, chunk) {
          if (!socket.data.stalled) send(socket.data.peer, chunk);
        },
        drain: (socket) => flush(socket.data),
        close(socket) {
          socket.data.peer?.socket?.end();
        },
        error(socket) {
          socket.data.peer?.socket?.end();
        },
      },
    });
    port = listener.port;
  }
  listen();
  return {
    get port() {
      return port;
    },
    /** The database goes away: every connection reset, new ones refused. */
    cut() {
      listener?.stop(true);
      listener = undefined;
      for (const side of sides) side.socket?.terminate();
      sides.clear();
    },
    /** The network goes silent: connections stay open (new ones too), nothing gets through. */
    stall() {
      stalled = true;
      for (const side of sides) side.stalled = true;
    },
    restore() {
      stalled = false;
      for (const side of sides) side.stalled = false;
      if (!listener) listen();
    },
    close() {
      this.cut();
    },
  };
}
