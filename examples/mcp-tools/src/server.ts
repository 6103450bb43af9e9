// The MCP server: a weather tool and a resource listing the cities it covers, on stdio, in its
// own process, traced by @tracewright/mcp. Each request it handles continues the caller's trace.
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
server.registerResource("cities", "weather://cities", { mimeType: "application/json" }, async (uri) => ({
  contents: [{ uri: uri.href, text: JSON.stringify(Object.keys(FORECASTS)) }],
}));
server.registerTool(
  "get_weather",
  { description: "Today's forecast for a city", inputSchema: { city: z.string() } },
  async ({ city }) => {
    const forecast = await lookUpForecast(city);
    return forecast === null
      ? { content: [{ type: "text", text: `no forecast for ${city}` }], isError: true }
      : { content: [{ type: "text", text: `${city}: ${forecast}` }] };
  },
);
await server.connect(new StdioServerTransport());
