import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

/**
 * Renders only the rows in view (plus a margin) of a long list of fixed-height rows, so lists of
 * thousands of traces and trees of thousands of spans stay fast.
 */
export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  renderRow: (item: T, index: number) => ComponentChildren;
  className?: string;
  testId?: string;
  /** Index to keep in view (the selected row). */
  scrollToIndex?: number;
  onNearEnd?: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    setHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    const el = ref.current;
    const i = props.scrollToIndex;
    if (!el || i === undefined || i < 0) return;
    const top = i * props.rowHeight;
    if (top < el.scrollTop || top + props.rowHeight > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 3);
    }
  }, [props.scrollToIndex, props.rowHeight]);
  const overscan = 10;
  const first = Math.max(0, Math.floor(scrollTop / props.rowHeight) - overscan);
  const last = Math.min(props.items.length, Math.ceil((scrollTop + height) / props.rowHeight) + overscan);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} class="vrow" style={{ top: `${i * props.rowHeight}px`, height: `${props.rowHeight}px` }}>
        {props.renderRow(props.items[i] as T, i)}
      </div>,
    );
  }
  return (
    <div
      ref={ref}
      class={`vlist ${props.className ?? ""}`}
      data-testid={props.testId}
      data-rendered-rows={last - first}
      onScroll={(e) => {
        const el = e.currentTarget as HTMLDivElement;
        setScrollTop(el.scrollTop);
        if (props.onNearEnd && el.scrollTop + el.clientHeight > el.scrollHeight - props.rowHeight * 5)
          props.onNearEnd();
      }}
    >
      <div class="vspacer" style={{ height: `${props.items.length * props.rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
