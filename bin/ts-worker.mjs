// A worker thread cannot import TypeScript by itself: tsx registers its loader in this thread first (as
// bin/synth.mjs does for the CLI), then the entry named by the parent is imported.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
