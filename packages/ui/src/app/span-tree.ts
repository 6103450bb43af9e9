import type { SpanView } from "../server/views.js";

/** A span in the tree, with its depth and children, ordered by start time. */
export interface TreeNode {
  span: SpanView;
  depth: number;
  children: TreeNode[];
}

/** Builds the span forest of a trace (spans whose parent is missing become roots). */
export function buildSpanTree(spans: readonly SpanView[]): TreeNode[] {
  const byId = new Map<string, TreeNode>();
  for (const span of spans) byId.set(span.spanId, { span, depth: 0, children: [] });
  const roots: TreeNode[] = [];
  for (const node of byId.values()) {
    const parent = node.span.parentId ? byId.get(node.span.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (a: TreeNode, b: TreeNode) => a.span.startTimeNs - b.span.startTimeNs;
  const stack = roots.sort(byStart).map((n) => n);
  // iterative, so a trace thousands of spans deep cannot overflow the stack
  while (stack.length > 0) {
    const node = stack.pop() as TreeNode;
    node.children.sort(byStart);
    for (const child of node.children) {
      child.depth = node.depth + 1;
      stack.push(child);
    }
  }
  return roots;
}

/** The rows a tree shows: depth-first, skipping the children of collapsed spans. */
export function visibleRows(roots: readonly TreeNode[], collapsed: ReadonlySet<string>): TreeNode[] {
  const rows: TreeNode[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop() as TreeNode;
    rows.push(node);
    if (!collapsed.has(node.span.spanId))
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as TreeNode);
  }
  return rows;
}

/** The span ids on the way from a root to `spanId` (to expand when a span is selected). */
export function ancestorsOf(spans: readonly SpanView[], spanId: string): string[] {
  const parentOf = new Map(spans.map((s) => [s.spanId, s.parentId]));
  const out: string[] = [];
  let current = parentOf.get(spanId) ?? null;
  while (current && !out.includes(current)) {
    out.push(current);
    current = parentOf.get(current) ?? null;
  }
  return out;
}
