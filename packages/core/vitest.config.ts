import { packageTestConfig } from "../../vitest.shared.ts";

export default packageTestConfig({ include: ["src/**/*.test.ts", "test/**/*.test.ts"], testTimeout: 20_000 });
