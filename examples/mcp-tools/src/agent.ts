// A small agent on an MCP client: it checks the server offers the weather tool, reads which
// cities the server covers, then asks for each covered city's weather. One AGENT span; the
// client's MCP spans nest under it, and the server's spans under those.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { trace } from "@tracewright/core";

export const planTrip = trace(
  async function plan_trip(client: Client, wanted: string[]): Promise<string[]> {
    const { tools } = await client.listTools();
    if (!tools.some((t) => t.name === "get_weather")) throw new Error("the server has no get_weather tool");
    const listing = await client.readResource({ uri: "weather://cities" });
    const first = listing.contents[0];
    const covered = new Set(JSON.parse(first && "text" in first ? first.text : "[]") as string[]);
    const lines: string[] = [];
    for (const city of wanted) {
      if (!covered.has(city)) {
        lines.push(`${city}: not covered`);
        continue;
      }
      const reply = await client.callTool({ name: "get_weather", arguments: { city } });
      const [content] = reply.content as Array<{ type: string; text?: string }>;
      lines.push(content?.text ?? "");
    }
    return lines;
  },
  { spanType: "AGENT" },
);
