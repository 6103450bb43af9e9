// Runs the weather agent. With AWS credentials in the environment (AWS_ACCESS_KEY_ID, or
// AWS_PROFILE) it calls Bedrock in AWS_REGION; without them it replays the recorded replies from
// a local endpoint, so the example runs anywhere with no account and no network.
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { autolog } from "@tracewright/bedrock";
import { flushTraces, setExperiment } from "@tracewright/core";
import { WeatherAgent } from "./agent.ts";
import { startReplayEndpoint, weatherReplies } from "./replay-endpoint.ts";

await autolog();
await setExperiment("bedrock-converse");

const live = Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
const replay = live ? null : await startReplayEndpoint(await weatherReplies());
const client = new BedrockRuntimeClient(
  replay
    ? {
        region: "us-east-1",
        endpoint: replay.url,
        credentials: { accessKeyId: "AKIDEXAMPLEFAKE000000", secretAccessKey: "replay-needs-no-secret" },
      }
    : { region: process.env.AWS_REGION ?? "us-east-1" },
);

const answer = await new WeatherAgent(client).ask("What's the weather in Seattle?");
console.log(answer);
client.destroy();
await replay?.close();
await flushTraces();
