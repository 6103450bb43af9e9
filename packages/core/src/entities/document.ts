/** The dict form of a Document, as MLflow stores RETRIEVER span outputs. */
export interface DocumentDict {
  page_content: string;
  metadata: Record<string, unknown>;
  id: string | null;
}

/**
 * A retrieved document: the expected output of a RETRIEVER span, which MLflow's UI renders
 * as document cards. Serialises to `{ page_content, metadata, id }`.
 */
export class Document {
  readonly pageContent: string;
  readonly metadata: Record<string, unknown>;
  readonly id: string | null;

  constructor(options: { pageContent: string; metadata?: Record<string, unknown>; id?: string | null }) {
    this.pageContent = options.pageContent;
    this.metadata = options.metadata ?? {};
    this.id = options.id ?? null;
  }

  toDict(): DocumentDict {
    return { page_content: this.pageContent, metadata: this.metadata, id: this.id };
  }

  /** Used by JSON.stringify, so a Document recorded as span output takes MLflow's shape. */
  toJSON(): DocumentDict {
    return this.toDict();
  }

  static fromDict(d: {
    page_content?: string;
    pageContent?: string;
    metadata?: Record<string, unknown>;
    id?: string | null;
  }): Document {
    return new Document({
      pageContent: d.page_content ?? d.pageContent ?? "",
      metadata: d.metadata ?? {},
      id: d.id ?? null,
    });
  }
}
