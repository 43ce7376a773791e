import { rlsContract } from "../contract/rls.contract.ts";
import { openContractDb } from "./fixtures.ts";

rlsContract("PostgreSQL", openContractDb);
