import { rlsContract } from "../contract/rls.contract.ts";
import { openPgliteContractDb } from "./fixture.ts";

rlsContract("PGlite", openPgliteContractDb);
