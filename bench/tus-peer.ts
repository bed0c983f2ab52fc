/**
 * The tus peer of `npm run bench:ingest`: what a user would pick instead of the hub — `@tus/server` with
 * `@tus/file-store` (plaintext, one copy, no fsync, no checksum extension) on a plain `http.createServer`.
 *
 * Usage: `node dist/bench/tus-peer.js <directory>`. Listens on 127.0.0.1, a free port; prints `URL:   http://…`
 * once listening; tus endpoint at `/files`. Stops on SIGTERM/SIGINT.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";

const directory = process.argv[2];
if (!directory) {
  console.error("usage: node dist/bench/tus-peer.js <directory>");
  process.exit(2);
}

const tus = new Server({ path: "/files", datastore: new FileStore({ directory }) });

const server = http.createServer((req, res) => {
  tus.handle(req, res).catch((err: unknown) => {
    console.error(err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(`tus peer (@tus/server + @tus/file-store) in ${directory}`);
  console.log(`URL:   http://127.0.0.1:${port}/files`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
