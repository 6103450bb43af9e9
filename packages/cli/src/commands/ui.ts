import { getTraceStore, getTrackingUri, setTrackingUri } from "@tracewright/core";
import { CliError, type Command } from "./command.js";

/** `tracewright ui`: serves the trace viewer until SIGINT or SIGTERM. */
export const ui: Command = {
  name: "ui",
  summary: "open the trace viewer in the browser (local server)",
  help: `Usage: tracewright ui [--port 5173] [--host 127.0.0.1] [--tracking-uri <uri>]

Serve the trace viewer (trace list, span trees, chat transcripts, feedback, compare) and print its
URL. It listens on 127.0.0.1 and answers only requests addressed to 127.0.0.1 or localhost; pass
--host (e.g. 0.0.0.0) to serve other machines. Stop it with Ctrl+C.

Options:
  -p, --port <n>              port (default 5173; 0 picks a free one)
  --host <address>            interface to bind (default 127.0.0.1)`,
  options: {
    port: { type: "string", short: "p" },
    host: { type: "string" },
  },
  async run(values, _positionals, io) {
    const raw = values.port as string | undefined;
    const port = raw === undefined ? 5173 : Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new CliError(`--port expects a port number from 0 to 65535, got "${raw}".`, 2);
    }
    if (values["tracking-uri"]) setTrackingUri(values["tracking-uri"] as string);
    // unlike the other commands, the viewer may start before any app wrote traces: it creates the store
    const store = getTraceStore();
    const { startUiServer } = await import("@tracewright/ui");
    const server = await startUiServer({
      store,
      port,
      ...(values.host !== undefined ? { host: values.host as string } : {}),
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE")
        throw new CliError(`Port ${port} is in use; pass --port <n> (or 0 for any free port).`);
      throw e;
    });
    io.out(`Tracewright UI for ${getTrackingUri()}: ${server.url}`);
    io.out("Press Ctrl+C to stop.");
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        server.close().then(resolve, resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
  },
};
