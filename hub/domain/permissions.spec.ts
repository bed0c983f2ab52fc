/**
 * Exhaustive test of the hub's single permission function: every role × every action × every scope case.
 *
 * The expectations below are written out literally from ARCHITECTURE §2 and are deliberately NOT derived from the
 * module's grant table, so that any change to the policy must be made twice (here and there) to pass.
 */
import {
  ACTIONS,
  ROLES,
  actionsOf,
  can,
  decide,
  decideRoleAssignment,
  isAction,
  isRole,
  isWithinScope,
  type Action,
  type Actor,
  type Decision,
  type Role,
} from "./permissions";

// ---------------------------------------------------------------------------------------------------------------
// Independent expectation: the roles, the actions and, per role, the allowed actions (whitespace-separated).
// ---------------------------------------------------------------------------------------------------------------

const EXPECTED_ROLES = ["sales", "outlet_manager", "branch_admin", "hq_admin", "auditor", "system"];

const EXPECTED_ACTIONS = `
  org.read org.create org.rename org.close
  user.read user.create user.update user.disable user.resetPassword
  audit.read audit.verify
  product.read product.edit product.import customer.read customer.readUnmasked customer.import riskAssessment.create
  recording.create recording.upload recording.list recording.play recording.exportEvidence
  supplement.apply supplement.authorize callback.create voucher.print spotcheck.perform
  report.read report.export reconciliation.read
  recordingRequired.set retention.configure questionnaire.configure riskAssessment.configure dispute.manage transaction.notify
  redemption.record recycleBin.restore plugins.read
`;

const EXPECTED_GRANTS: Record<string, string> = {
  sales: `
    org.read product.read customer.read riskAssessment.create recording.create recording.upload
    supplement.apply callback.create voucher.print reconciliation.read`,
  outlet_manager: `
    org.read product.read customer.read riskAssessment.create recording.create recording.upload
    supplement.apply callback.create voucher.print reconciliation.read
    recording.list recording.play report.read report.export spotcheck.perform supplement.authorize user.read`,
  branch_admin: `
    org.read org.create org.rename org.close
    user.read user.create user.update user.disable user.resetPassword audit.read
    product.read product.import customer.read
    recording.list recording.play recording.exportEvidence report.read report.export reconciliation.read
    recordingRequired.set dispute.manage redemption.record recycleBin.restore`,
  hq_admin: `
    org.read org.create org.rename org.close
    user.read user.create user.update user.disable user.resetPassword
    audit.read audit.verify
    product.read product.edit product.import customer.read customer.readUnmasked customer.import riskAssessment.create
    recording.create recording.upload recording.list recording.play recording.exportEvidence
    supplement.apply supplement.authorize callback.create voucher.print spotcheck.perform
    report.read report.export reconciliation.read
    recordingRequired.set retention.configure questionnaire.configure riskAssessment.configure dispute.manage transaction.notify
    redemption.record recycleBin.restore plugins.read`,
  auditor: `
    org.read user.read audit.read audit.verify product.read customer.read
    recording.list recording.play recording.exportEvidence report.read report.export reconciliation.read`,
  system: `
    transaction.notify redemption.record recording.list supplement.apply reconciliation.read product.read customer.read`,
};

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== "");
const ALL_ACTIONS = words(EXPECTED_ACTIONS);
const GRANTED: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries(EXPECTED_GRANTS).map(([role, list]) => [role, new Set(words(list))]),
);

// ---------------------------------------------------------------------------------------------------------------
// Org tree used by the scope cases.
// ---------------------------------------------------------------------------------------------------------------

const ROOT = "000000"; // head office
const BRANCH = "000000/310000"; // a branch
const OUTLET = "000000/310000/310100"; // an outlet of that branch
const OUTLET_DESK = "000000/310000/310100/31010001"; // a unit below the outlet
const SAME_BRANCH_OUTLET = "000000/310000/310200"; // another outlet of the same branch
const OTHER_BRANCH = "000000/110000";
const OTHER_BRANCH_OUTLET = "000000/110000/110100"; // an outlet in another branch

/** Where each actor sits, and for each target whether it is inside the actor's subtree (written literally). */
const PLACEMENTS: { label: string; role: string; orgPath: string; targets: [string, string, boolean][] }[] = [
  {
    label: "sales at outlet",
    role: "sales",
    orgPath: OUTLET,
    targets: [
      ["own outlet", OUTLET, true],
      ["descendant of own outlet", OUTLET_DESK, true],
      ["parent branch", BRANCH, false],
      ["sibling outlet, same branch", SAME_BRANCH_OUTLET, false],
      ["outlet in another branch", OTHER_BRANCH_OUTLET, false],
      ["root", ROOT, false],
    ],
  },
  {
    label: "outlet_manager at outlet",
    role: "outlet_manager",
    orgPath: OUTLET,
    targets: [
      ["own outlet", OUTLET, true],
      ["descendant of own outlet", OUTLET_DESK, true],
      ["parent branch", BRANCH, false],
      ["sibling outlet, same branch", SAME_BRANCH_OUTLET, false],
      ["outlet in another branch", OTHER_BRANCH_OUTLET, false],
      ["root", ROOT, false],
    ],
  },
  {
    label: "branch_admin at branch",
    role: "branch_admin",
    orgPath: BRANCH,
    targets: [
      ["own branch", BRANCH, true],
      ["descendant outlet", OUTLET, true],
      ["deeper descendant", OUTLET_DESK, true],
      ["sibling branch", OTHER_BRANCH, false],
      ["outlet in another branch", OTHER_BRANCH_OUTLET, false],
      ["root (parent)", ROOT, false],
    ],
  },
  ...["hq_admin", "auditor", "system"].map((role) => ({
    label: `${role} at root`,
    role,
    orgPath: ROOT,
    targets: [
      ["own org (root)", ROOT, true],
      ["descendant branch", BRANCH, true],
      ["descendant outlet", OUTLET, true],
      ["outlet in another branch", OTHER_BRANCH_OUTLET, true],
    ] as [string, string, boolean][],
  })),
  {
    label: "auditor at branch",
    role: "auditor",
    orgPath: BRANCH,
    targets: [
      ["own branch", BRANCH, true],
      ["descendant outlet", OUTLET, true],
      ["sibling branch", OTHER_BRANCH, false],
      ["outlet in another branch", OTHER_BRANCH_OUTLET, false],
      ["root (parent)", ROOT, false],
    ],
  },
  {
    // Roles are not magic: an hq_admin placed below the root is confined to that subtree.
    label: "hq_admin misplaced at branch",
    role: "hq_admin",
    orgPath: BRANCH,
    targets: [
      ["own branch", BRANCH, true],
      ["descendant outlet", OUTLET, true],
      ["sibling branch", OTHER_BRANCH, false],
      ["outlet in another branch", OTHER_BRANCH_OUTLET, false],
      ["root (parent)", ROOT, false],
    ],
  },
];

type Row = [string, string, string, string, string, string, Decision];

const expectedDecision = (role: string, action: string, inScope: boolean): Decision => {
  if (!GRANTED[role]!.has(action)) return { allowed: false, reason: "ROLE" };
  if (!inScope) return { allowed: false, reason: "SCOPE" };
  return { allowed: true };
};

const MATRIX: Row[] = PLACEMENTS.flatMap((p) =>
  p.targets.flatMap(([targetLabel, targetPath, inScope]) =>
    ALL_ACTIONS.map((action): Row => [
      p.label,
      action,
      targetLabel,
      p.role,
      p.orgPath,
      targetPath,
      expectedDecision(p.role, action, inScope),
    ]),
  ),
);

// ---------------------------------------------------------------------------------------------------------------

describe("permissions: the test matrix matches the module", () => {
  it("enumerates exactly the module's ROLES", () => {
    expect([...ROLES].sort()).toEqual([...EXPECTED_ROLES].sort());
    expect(Object.keys(EXPECTED_GRANTS).sort()).toEqual([...ROLES].sort());
  });

  it("enumerates exactly the module's ACTIONS, each once", () => {
    expect(new Set(ALL_ACTIONS).size).toBe(ALL_ACTIONS.length);
    expect([...ACTIONS].sort()).toEqual([...ALL_ACTIONS].sort());
    expect(ACTIONS.length).toBe(40);
  });

  it("only grants actions that exist, each once", () => {
    for (const [role, list] of Object.entries(EXPECTED_GRANTS)) {
      const ws = words(list);
      expect({ role, dupes: ws.length - new Set(ws).size }).toEqual({ role, dupes: 0 });
      for (const a of ws)
        expect({ role, action: a, known: ALL_ACTIONS.includes(a) }).toEqual({ role, action: a, known: true });
    }
  });

  it("places every role at least once in the scope matrix", () => {
    expect([...new Set(PLACEMENTS.map((p) => p.role))].sort()).toEqual([...EXPECTED_ROLES].sort());
  });

  it.each(EXPECTED_ROLES)("actionsOf(%s) is exactly the expected grant list", (role) => {
    expect([...actionsOf(role as Role)].sort()).toEqual(words(EXPECTED_GRANTS[role]!).sort());
  });
});

describe("permissions: decide over every role × action × scope case", () => {
  it.each(MATRIX)("%s: %s on %s", (_placement, action, _targetLabel, role, orgPath, targetPath, expected) => {
    const actor: Actor = { role: role as Role, orgPath };
    const target = { orgPath: targetPath };
    expect(decide(actor, action as Action, target)).toEqual(expected);
    expect(can(actor, action as Action, target)).toBe(expected.allowed);
  });
});

describe("permissions: named policy cases", () => {
  const salesAtOutlet: Actor = { role: "sales", orgPath: OUTLET };

  it("a sales user of one outlet gets SCOPE-denied on another outlet's data", () => {
    for (const other of [SAME_BRANCH_OUTLET, OTHER_BRANCH_OUTLET]) {
      for (const action of [
        "customer.read",
        "recording.create",
        "voucher.print",
        "reconciliation.read",
      ] as const) {
        expect(decide(salesAtOutlet, action, { orgPath: other })).toEqual({
          allowed: false,
          reason: "SCOPE",
        });
      }
    }
    expect(can(salesAtOutlet, "customer.read", { orgPath: OUTLET })).toBe(true);
  });

  it("sales may never play a recording, even in its own outlet", () => {
    for (const target of [OUTLET, OUTLET_DESK, SAME_BRANCH_OUTLET, ROOT]) {
      for (const action of ["recording.play", "recording.list", "recording.exportEvidence"] as const) {
        expect(decide(salesAtOutlet, action, { orgPath: target })).toEqual({
          allowed: false,
          reason: "ROLE",
        });
      }
    }
  });

  it("the role is checked before the scope", () => {
    expect(decide(salesAtOutlet, "recording.play", { orgPath: OTHER_BRANCH_OUTLET })).toEqual({
      allowed: false,
      reason: "ROLE",
    });
    expect(decide({ role: "auditor", orgPath: BRANCH }, "user.create", { orgPath: OTHER_BRANCH })).toEqual({
      allowed: false,
      reason: "ROLE",
    });
  });

  it("an outlet manager plays back and authorises 补录 in its outlet only", () => {
    const m: Actor = { role: "outlet_manager", orgPath: OUTLET };
    expect(can(m, "recording.play", { orgPath: OUTLET })).toBe(true);
    expect(can(m, "supplement.authorize", { orgPath: OUTLET })).toBe(true);
    expect(decide(m, "recording.play", { orgPath: SAME_BRANCH_OUTLET })).toEqual({
      allowed: false,
      reason: "SCOPE",
    });
  });

  it("the auditor is read-only: it holds no action that creates, changes or configures", () => {
    const writes =
      /\.(create|rename|close|update|disable|resetPassword|edit|import|upload|apply|authorize|print|perform|set|configure|manage|notify)$/;
    for (const action of ACTIONS) {
      if (writes.test(action)) {
        expect({ action, d: decide({ role: "auditor", orgPath: ROOT }, action, { orgPath: ROOT }) }).toEqual({
          action,
          d: { allowed: false, reason: "ROLE" },
        });
      }
    }
  });

  it("hq_admin at the root may do everything everywhere", () => {
    for (const action of ACTIONS) {
      for (const target of [ROOT, BRANCH, OUTLET_DESK, OTHER_BRANCH_OUTLET]) {
        expect(can({ role: "hq_admin", orgPath: ROOT }, action, { orgPath: target })).toBe(true);
      }
    }
  });

  it("fails closed on an unknown role or action from untyped callers", () => {
    expect(decide({ role: "root" as Role, orgPath: ROOT }, "org.read", { orgPath: ROOT })).toEqual({
      allowed: false,
      reason: "ROLE",
    });
    expect(
      decide({ role: "hq_admin", orgPath: ROOT }, "recording.delete" as Action, { orgPath: ROOT }),
    ).toEqual({
      allowed: false,
      reason: "ROLE",
    });
    expect(actionsOf("root" as Role)).toEqual([]);
  });

  it("actionsOf cannot be used to widen the policy", () => {
    const list = actionsOf("sales") as Action[];
    expect(() => list.push("recording.play")).toThrow();
    expect(can({ role: "sales", orgPath: OUTLET }, "recording.play", { orgPath: OUTLET })).toBe(false);
  });
});

describe("isRole / isAction", () => {
  it.each(EXPECTED_ROLES)("isRole(%s) is true", (r) => expect(isRole(r)).toBe(true));
  it.each(ALL_ACTIONS)("isAction(%s) is true", (a) => expect(isAction(a)).toBe(true));
  it.each([["admin"], ["SALES"], [""], [undefined], [null], [42], [{}], ["org.read"]])(
    "isRole(%p) is false",
    (x) => expect(isRole(x)).toBe(false),
  );
  it.each([["recording.delete"], ["ORG.READ"], [""], [undefined], [null], [7], ["sales"], ["org.read "]])(
    "isAction(%p) is false",
    (x) => expect(isAction(x)).toBe(false),
  );
});

describe("isWithinScope", () => {
  it.each<[string, string, string, boolean]>([
    ["identical paths", BRANCH, BRANCH, true],
    ["identical root", ROOT, ROOT, true],
    ["child", BRANCH, OUTLET, true],
    ["grandchild", ROOT, OUTLET, true],
    ["deep descendant", BRANCH, OUTLET_DESK, true],
    ["parent is not in scope", OUTLET, BRANCH, false],
    ["root is not in scope of a branch", BRANCH, ROOT, false],
    ["sibling", OUTLET, SAME_BRANCH_OUTLET, false],
    ["cousin in another branch", OUTLET, OTHER_BRANCH_OUTLET, false],
    ["string prefix is not an ancestor", "000000/31", BRANCH, false],
    ["string prefix is not an ancestor (deeper)", "000000/31", OUTLET, false],
    ["longer code is not a descendant", BRANCH, "000000/3100001", false],
    ["longer code with child is not a descendant", BRANCH, "000000/3100001/310100", false],
    ["different root", ROOT, "100000/310000", false],
    ["codes are compared exactly (case)", "000000/31000A", "000000/31000a", false],
    ["trailing slash on target is the same org", BRANCH, `${BRANCH}/`, true],
    ["trailing slash on actor is the same org", `${BRANCH}/`, BRANCH, true],
    ["trailing slashes on both", `${BRANCH}/`, `${OUTLET}/`, true],
    ["trailing slash does not make an ancestor of a sibling", `${OUTLET}/`, SAME_BRANCH_OUTLET, false],
    ["trailing slash does not make the parent in scope", OUTLET, `${BRANCH}/`, false],
    ["empty actor path", "", BRANCH, false],
    ["empty target path", BRANCH, "", false],
    ["both empty", "", "", false],
    ["empty segment in target", BRANCH, "000000//310000", false],
    ["leading slash", BRANCH, `/${BRANCH}`, false],
    ["dot-dot segment cannot climb out", BRANCH, `${BRANCH}/../110000`, false],
    ["dot segment", BRANCH, `${BRANCH}/./310100`, false],
  ])("%s: isWithinScope(%p, %p) = %p", (_label, actorPath, targetPath, expected) => {
    expect(isWithinScope(actorPath, targetPath)).toBe(expected);
  });
});

describe("decideRoleAssignment", () => {
  // Literal expectation for an actor at its natural org assigning each role at an org inside its scope.
  // Columns in this order:     sales              outlet_manager     branch_admin       hq_admin           auditor            system
  const COLUMNS = ["sales", "outlet_manager", "branch_admin", "hq_admin", "auditor", "system"];
  const OK = "ok";
  const R = "ROLE";
  const RA = "ROLE_ASSIGNMENT";
  const ASSIGNMENT: Record<string, { at: string; target: string; row: string[] }> = {
    sales: { at: OUTLET, target: OUTLET, row: [R, R, R, R, R, R] },
    outlet_manager: { at: OUTLET, target: OUTLET, row: [R, R, R, R, R, R] },
    branch_admin: { at: BRANCH, target: OUTLET, row: [OK, OK, OK, RA, OK, RA] },
    hq_admin: { at: ROOT, target: OUTLET, row: [OK, OK, OK, OK, OK, OK] },
    auditor: { at: ROOT, target: OUTLET, row: [R, R, R, R, R, R] },
    system: { at: ROOT, target: OUTLET, row: [R, R, R, R, R, R] },
  };

  it("the assignment matrix covers every role × every role", () => {
    expect(Object.keys(ASSIGNMENT).sort()).toEqual([...ROLES].sort());
    expect([...COLUMNS].sort()).toEqual([...ROLES].sort());
  });

  const rows = Object.entries(ASSIGNMENT).flatMap(([actorRole, { at, target, row }]) =>
    row.map((cell, i): [string, string, string, string, Decision] => [
      actorRole,
      COLUMNS[i]!,
      at,
      target,
      cell === OK ? { allowed: true } : { allowed: false, reason: cell as "ROLE" | "ROLE_ASSIGNMENT" },
    ]),
  );

  it.each(rows)("%s assigning %s (actor at %s, user at %s)", (actorRole, assigned, at, target, expected) => {
    expect(decideRoleAssignment({ role: actorRole as Role, orgPath: at }, assigned as Role, target)).toEqual(
      expected,
    );
  });

  // Scope refusal: outside the subtree the answer is SCOPE whatever role is being given.
  const scopeRows: [string, string, string, string][] = [];
  for (const assigned of COLUMNS) {
    scopeRows.push(["branch_admin", BRANCH, OTHER_BRANCH_OUTLET, assigned]);
    scopeRows.push(["branch_admin", BRANCH, ROOT, assigned]);
    scopeRows.push(["hq_admin", BRANCH, OTHER_BRANCH_OUTLET, assigned]);
  }
  it.each(scopeRows)(
    "%s at %s cannot create users at %s (role %s): SCOPE",
    (actorRole, at, target, assigned) => {
      expect(
        decideRoleAssignment({ role: actorRole as Role, orgPath: at }, assigned as Role, target),
      ).toEqual({
        allowed: false,
        reason: "SCOPE",
      });
    },
  );

  it("a branch admin may staff its own branch node itself", () => {
    expect(decideRoleAssignment({ role: "branch_admin", orgPath: BRANCH }, "branch_admin", BRANCH)).toEqual({
      allowed: true,
    });
  });

  it("an unknown role is never assignable, even by hq_admin", () => {
    expect(decideRoleAssignment({ role: "hq_admin", orgPath: ROOT }, "root" as Role, OUTLET)).toEqual({
      allowed: false,
      reason: "ROLE_ASSIGNMENT",
    });
  });
});
