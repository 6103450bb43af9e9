import { packageTestConfig } from "../../vitest.shared.ts";

// the browser tests start example apps and chromium: allow them time on a slow machine
export default packageTestConfig({ testTimeout: 60_000 });
