import { createPgAuthAdmin } from "../../local/auth/pg-auth-admin.ts";
import { authAdminContract } from "./auth-admin-contract.ts";

authAdminContract("PostgreSQL (auth.users)", async (fx) => ({
  admin: createPgAuthAdmin(fx.db),
  close: async () => {},
}));
