/**
 * The provider a call goes to, as `mlflow.llm.provider` records it: `azure` for the openai
 * package's `AzureOpenAI` client (the provider name MLflow's LiteLLM-based cost tables and
 * LangChain's `ls_provider` use for Azure OpenAI), `openai` otherwise.
 */

/** True for an `AzureOpenAI` client (or a subclass), from any copy of the openai package. */
function isAzureClient(client: unknown): boolean {
  if (client === null || typeof client !== "object") return false;
  // a name check along the prototype chain, not instanceof: the app may hold several openai copies
  for (let proto = Object.getPrototypeOf(client); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: unknown } }).constructor?.name === "AzureOpenAI") return true;
  }
  return false;
}

/** The provider of a call made through `resource.create` (openai resources keep their client in `_client`). */
export function providerOf(resource: unknown): string {
  try {
    const client = (resource as { _client?: unknown } | null)?._client;
    return isAzureClient(client) ? "azure" : "openai";
  } catch {
    return "openai"; // an exotic client (a revoked Proxy, a throwing getter) must not break the call
  }
}
