/**
 * The OpenTelemetry GenAI semantic conventions' attribute keys (`gen_ai.*`,
 * https://opentelemetry.io/docs/specs/semconv/gen-ai/) that Tracewright reads (spans of GenAI
 * instrumentations, `@tracewright/otel-genai`) and writes (OTLP export). Every `gen_ai.*` key
 * lives here and nowhere else.
 */

/** `gen_ai.*` span attribute keys. */
export const GenAiAttributeKey = {
  OPERATION_NAME: "gen_ai.operation.name",
  PROVIDER_NAME: "gen_ai.provider.name",
  /** The older name of {@link GenAiAttributeKey.PROVIDER_NAME}, still set by some instrumentations. */
  SYSTEM: "gen_ai.system",
  REQUEST_MODEL: "gen_ai.request.model",
  /** Prefix of the request parameters (`gen_ai.request.max_tokens`, `gen_ai.request.temperature`, ...). */
  REQUEST_PREFIX: "gen_ai.request.",
  RESPONSE_MODEL: "gen_ai.response.model",
  RESPONSE_ID: "gen_ai.response.id",
  RESPONSE_FINISH_REASONS: "gen_ai.response.finish_reasons",
  INPUT_MESSAGES: "gen_ai.input.messages",
  OUTPUT_MESSAGES: "gen_ai.output.messages",
  OUTPUT_TYPE: "gen_ai.output.type",
  SYSTEM_INSTRUCTIONS: "gen_ai.system_instructions",
  TOOL_DEFINITIONS: "gen_ai.tool.definitions",
  TOOL_NAME: "gen_ai.tool.name",
  TOOL_CALL_ARGUMENTS: "gen_ai.tool.call.arguments",
  TOOL_CALL_RESULT: "gen_ai.tool.call.result",
  USAGE_INPUT_TOKENS: "gen_ai.usage.input_tokens",
  USAGE_OUTPUT_TOKENS: "gen_ai.usage.output_tokens",
  USAGE_CACHE_READ_INPUT_TOKENS: "gen_ai.usage.cache_read.input_tokens",
  USAGE_CACHE_CREATION_INPUT_TOKENS: "gen_ai.usage.cache_creation.input_tokens",
} as const;

/** Values of `gen_ai.operation.name` the conventions define. */
export const GenAiOperation = {
  CHAT: "chat",
  GENERATE_CONTENT: "generate_content",
  TEXT_COMPLETION: "text_completion",
  EMBEDDINGS: "embeddings",
  EXECUTE_TOOL: "execute_tool",
  INVOKE_AGENT: "invoke_agent",
  CREATE_AGENT: "create_agent",
  RETRIEVAL: "retrieval",
  /** Not in the conventions: the AI SDK's step of an agent run. */
  AGENT_STEP: "agent_step",
  /** Not in the conventions: the AI SDK's reranking call. */
  RERANK: "rerank",
} as const;
