// A small agent on an MCP client: it checks the server offers the weather tool, then asks it
// about the cities of a trip. One AGENT span; the client's MCP span nests under it, and the
// server's spans under that.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { trace } from "@tracewright/core";

/** Checks the server offers `get_weather` (a trace of its own: the connection's set-up). */
export async function checkServer(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  if (!tools.some((t) => t.name === "get_weather")) throw new Error("the server has no get_weather tool");
}

export const planTrip = trace(
  async function plan_trip(client: Client, cities: string[]): Promise<string[]> {
    const reply = await client.callTool({ name: "get_weather", arguments: { cities } });
    const [content] = reply.content as Array<{ type: string; text?: string }>;
    if (reply.isError) throw new Error(`get_weather failed: ${content?.text ?? "no reason given"}`);
    return (content?.text ?? "").split("\n");
  },
  { spanType: "AGENT" },
);
