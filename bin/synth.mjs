#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx registers the loader, then the CLI is imported.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv);
