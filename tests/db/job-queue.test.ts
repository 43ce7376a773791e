import { jobQueueContract } from "../contract/job-queue.contract.ts";
import { openScratchContractDb } from "./fixtures.ts";

jobQueueContract("PostgreSQL", () => openScratchContractDb("synth_queue"));
