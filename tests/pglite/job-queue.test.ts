import { jobQueueContract } from "../contract/job-queue.contract.ts";
import { openPgliteContractDb } from "./fixture.ts";

jobQueueContract("PGlite", openPgliteContractDb);
