// The MCP server: a weather tool on stdio, in its own process, traced by @tracewright/mcp. Each
// request it handles continues the caller's trace.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { setExperiment, trace } from "@tracewright/core";
import { autolog } from "@tracewright/mcp";
import { z } from "zod";

await autolog();
await setExperiment("mcp-tools");

const FORECASTS: Record<string, string> = { Oslo: "snow, -4 °C", Lisbon: "sunny, 19 °C", Nairobi: "showers, 22 °C" };

// the server's own work, a span under the request's span
const lookUpForecast = trace(
  async function look_up_forecast(city: string) {
    return FORECASTS[city] ?? null;
  },
  { spanType: "RETRIEVER" },
);

const server = new McpServer({ name: "weather", version: "1.0.0" });
server.registerTool(
  "get_weather",
  {
    description: "Today's forecast for each of the given cities",
    inputSchema: { cities: z.array(z.string()).min(1) },
  },
  async ({ cities }) => {
    const lines: string[] = [];
    for (const city of cities) lines.push(`${city}: ${(await lookUpForecast(city)) ?? "not covered"}`);
    return { content: [{ type: "text", text: lines.join("\n") }] };
  },
);
await server.connect(new StdioServerTransport());
