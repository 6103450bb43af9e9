export * from "./loopback-server.js";
export * from "./recorded-http.js";
export * from "./trace-tree.js";
