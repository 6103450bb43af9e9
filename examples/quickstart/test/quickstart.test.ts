import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteTraceStore } from "@tracewright/core";
import { describe, expect, it } from "vitest";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));
const cliBin = join(exampleDir, "node_modules", "@tracewright", "cli", "dist", "cli.js");

describe("quickstart example", () => {
  it("records the RAG trace with assessments and the CLI shows its tree", () => {
    const db = join(mkdtempSync(join(tmpdir(), "tw-quickstart-")), "traces.db");
    const env = { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}`, NO_COLOR: "1" };
    const appOut = execFileSync(process.execPath, ["src/app.ts"], { cwd: exampleDir, env, encoding: "utf8" });
    expect(appOut).toMatch(/answer: Tracewright records each step/);

    const store = new SqliteTraceStore(db);
    const experiment = store.getExperimentByName("quickstart")!;
    const [trace] = store.searchTraces({ experimentIds: [experiment.experimentId] }).traces;
    store.close();
    expect(trace).toBeDefined();
    const t = trace!;
    expect(t.info.state).toBe("OK");
    expect(t.info.tokenUsage).toEqual({ input_tokens: 150, output_tokens: 75, total_tokens: 225 });
    const byName = Object.fromEntries(t.data.spans.map((s) => [s.name, s]));
    expect(byName.rag_pipeline!.spanType).toBe("CHAIN");
    expect(byName.retrieve_documents!.spanType).toBe("RETRIEVER");
    expect((byName.retrieve_documents!.outputs as Array<{ page_content: string }>)[0]!.page_content).toContain("trace");
    expect(byName.generate_answer!.spanType).toBe("CHAT_MODEL");
    expect(byName.fact_check!.status.statusCode).toBe("ERROR");
    for (const name of ["retrieve_documents", "generate_answer", "fact_check"]) {
      expect(byName[name]!.parentId).toBe(byName.rag_pipeline!.spanId);
    }
    expect(t.searchAssessments().map((a) => `${a.type}:${a.name}`)).toEqual([
      "feedback:helpfulness",
      "expectation:expected_facts",
    ]);

    const shown = execFileSync(process.execPath, [cliBin, "traces", "show", "--last", "--experiment", "quickstart"], {
      env,
      encoding: "utf8",
    });
    expect(shown).toContain("rag_pipeline");
    expect(shown).toMatch(/├─ ✓ retrieve_documents \[RETRIEVER\]/);
    expect(shown).toMatch(/├─ ✓ generate_answer \[CHAT_MODEL\] .* tokens in 150 · out 75 · total 225/);
    expect(shown).toMatch(/└─ ✗ fact_check \[TOOL\]/);
    expect(shown).toContain("Error: Fact-check service unavailable");
    expect(shown).toContain("feedback helpfulness = 4");
  });
});
