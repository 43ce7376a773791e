/** The API's inline validation is the shared one, so the runner's validation of large files cannot drift. */
export { sha256Hex, validateFile, type ValidationOutcome } from "../../../shared/data/validate-file.ts";
