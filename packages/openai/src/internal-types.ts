/** Shapes of the openai package that the plugin relies on (checked at runtime, never imported). */

export type CreateMethod = (this: unknown, body?: unknown, options?: unknown) => unknown;

/** A resource class such as `Completions`, `Embeddings`, `Responses`. */
export interface ResourceClass {
  prototype: { create?: CreateMethod };
  name: string;
}

/** The `OpenAI` client class, with its resource classes as static properties. */
export interface OpenAIClass {
  Chat?: { Completions?: ResourceClass };
  Completions?: ResourceClass;
  Embeddings?: ResourceClass;
  Responses?: ResourceClass;
}

/** What `require("openai")` or `import * as ns from "openai"` yields. */
export interface OpenAIModule {
  OpenAI?: OpenAIClass;
  default?: OpenAIClass | { OpenAI?: OpenAIClass };
}

/** openai's APIPromise: a Promise subclass whose body is parsed lazily. */
export interface APIPromiseLike extends Promise<unknown> {
  responsePromise: Promise<{ response: { status: number; headers: { get(name: string): string | null } } }>;
  parseResponse: (this: unknown, client: unknown, props: unknown) => unknown;
  _thenUnwrap?: (this: unknown, transform: unknown) => unknown;
  asResponse?: (this: unknown) => Promise<unknown>;
}

/** openai's Stream: async-iterable, with its iterator factory as an own property. */
export interface StreamLike {
  iterator: () => AsyncIterator<unknown>;
  controller: AbortController;
}

/** An openai client instance (for `traced(client)`). */
export interface OpenAIClientLike {
  chat?: { completions?: { create?: CreateMethod } };
  completions?: { create?: CreateMethod };
  embeddings?: { create?: CreateMethod };
  responses?: { create?: CreateMethod };
}
