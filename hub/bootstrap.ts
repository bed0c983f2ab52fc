import { OrgUnitEntity } from "./db/entities";
import { insertInitialData } from "./demo/seed";
import { HubError, ValidationError } from "./errors/hub-error";
import type { HubRuntime } from "./runtime";
import { generatePassword, hashPassword } from "./services/access/password-hash";
import { newUserRow } from "./services/access/user-store";

export interface BootstrapRequest {
  orgCode: string;
  orgName: string;
  username: string;
}

/**
 * The first head office and its first hq_admin, for a bank starting without demo data (HUB_DEMO=off).
 * Only on an empty database; the password is generated, shown once, and must be changed at first login.
 */
export async function bootstrapHeadOffice(
  rt: HubRuntime,
  req: BootstrapRequest,
): Promise<{ password: string }> {
  const problems = [];
  if (!/^[0-9A-Za-z]{2,12}$/.test(req.orgCode))
    problems.push({ field: "--org-code", code: "pattern", message: "2–12 letters or digits" });
  if (!req.orgName || req.orgName.length > 100)
    problems.push({ field: "--org-name", code: "length", message: "1–100 characters" });
  if (!/^[a-z0-9][a-z0-9._-]{2,63}$/.test(req.username)) {
    problems.push({
      field: "--admin",
      code: "pattern",
      message: "3–64 lower-case letters, digits, dot, dash, underscore",
    });
  }
  if (problems.length) throw new ValidationError(problems);
  if ((await rt.db.manager.getRepository(OrgUnitEntity).count()) > 0) {
    throw new HubError(
      "HUB_ORG_EXISTS",
      "the database already has an org tree; bootstrap only runs on an empty one",
    );
  }
  const now = rt.clock().toISOString();
  const password = generatePassword();
  const admin = newUserRow(
    {
      username: req.username,
      displayName: "总行管理员",
      role: "hq_admin",
      orgCode: req.orgCode,
      passwordHash: await hashPassword(password),
      mustChangePassword: true,
    },
    now,
  );
  await insertInitialData(
    rt,
    [
      {
        code: req.orgCode,
        name: req.orgName,
        kind: "hq",
        parentCode: null,
        path: req.orgCode,
        status: "open",
        createdAt: now,
        updatedAt: now,
        closedAt: null,
      },
    ],
    [admin],
    "system.bootstrap",
  );
  return { password };
}
