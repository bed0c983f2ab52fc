import type { ServiceSchema } from "moleculer";
import { IsNull, Like } from "typeorm";
import { childPath, mayContain } from "../../domain/org-tree";
import { OrgUnitEntity, UserEntity, type OrgKind, type OrgUnitRow } from "../../db/entities";
import { HubError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { healthAction } from "../health.mixin";

type Locals = { locals: AuditLocals };

function view(row: OrgUnitRow) {
  return {
    code: row.code,
    name: row.name,
    kind: row.kind,
    parentCode: row.parentCode,
    path: row.path,
    status: row.status,
    createdAt: row.createdAt,
    closedAt: row.closedAt,
  };
}

/** The org tree: 总行 → 分行 → 二级分行 → 支行. Units are closed, never deleted: recordings and audit refer to them. */
export function createOrgService(rt: HubRuntime): ServiceSchema {
  const repo = () => rt.db.manager.getRepository(OrgUnitEntity);

  async function load(code: string): Promise<OrgUnitRow> {
    const row = await repo().findOneBy({ code });
    if (!row) throw new HubError("HUB_ORG_NOT_FOUND", `no org unit ${code}`, { field: "code", value: code });
    return row;
  }

  return {
    name: "org",
    mixins: [healthAction(rt)],
    events: {
      // resolve() is cached on every node running org; a unit's status changes, so forget it everywhere.
      "org.changed": {
        handler() {
          return this.broker.cacher?.clean("org.**");
        },
      },
    },
    actions: {
      /** Internal: code → path for permission checks. Cached: a unit's path never changes. */
      resolve: {
        visibility: "public",
        cache: { keys: ["code"], ttl: 300 },
        async handler(ctx: HubContext<{ code: string }>): Promise<OrgRef> {
          const row = await load(ctx.params.code);
          return { code: row.code, path: row.path, status: row.status };
        },
      },

      root: {
        visibility: "public",
        cache: { ttl: 300 },
        async handler(): Promise<OrgRef> {
          const row = await repo().findOneBy({ parentCode: IsNull() });
          if (!row) throw new HubError("HUB_ORG_NOT_FOUND", "the org tree has no head office yet");
          return { code: row.code, path: row.path, status: row.status };
        },
      },

      list: {
        async handler(ctx: HubContext<{ status?: "open" | "closed" | "all" }>) {
          const actor = actorOf(ctx);
          await authorize(ctx, "org.read", actor.orgCode);
          const status = ctx.params.status ?? "open";
          const statusFilter = status === "all" ? {} : { status };
          const rows = await repo().find({
            where: [
              { path: actor.orgPath, ...statusFilter },
              { path: Like(`${actor.orgPath}/%`), ...statusFilter },
            ],
            order: { path: "ASC" },
          });
          return { items: rows.map(view) };
        },
      },

      get: {
        async handler(ctx: HubContext<{ code: string }>) {
          await authorize(ctx, "org.read", ctx.params.code);
          return view(await load(ctx.params.code));
        },
      },

      create: {
        audit: { action: "org.create", target: (p) => `org:${p.code}` },
        async handler(
          ctx: HubContext<{ code: string; name: string; kind: OrgKind; parentCode: string }> & Locals,
        ) {
          const { code, name, kind, parentCode } = ctx.params;
          await authorize(ctx, "org.create", parentCode);
          const parent = await load(parentCode);
          if (parent.status === "closed")
            throw new HubError("HUB_ORG_CLOSED", `parent ${parentCode} is closed`);
          if (!mayContain(parent.kind, kind)) {
            throw new HubError(
              "HUB_ORG_INVALID_PARENT",
              `a ${kind} cannot be placed under a ${parent.kind}`,
              {
                field: "kind",
              },
            );
          }
          const now = rt.clock().toISOString();
          const row: OrgUnitRow = {
            code,
            name,
            kind,
            parentCode,
            path: childPath(parent.path, code),
            status: "open",
            createdAt: now,
            updatedAt: now,
            closedAt: null,
          };
          await rt.db.transaction(async (m) => {
            if (await m.getRepository(OrgUnitEntity).existsBy({ code })) {
              throw new HubError("HUB_ORG_EXISTS", `org code ${code} exists`, { field: "code" });
            }
            await m.getRepository(OrgUnitEntity).insert(row);
          });
          ctx.locals.auditDetails = { after: view(row) };
          return view(row);
        },
      },

      rename: {
        audit: { action: "org.rename", target: (p) => `org:${p.code}` },
        async handler(ctx: HubContext<{ code: string; name: string }> & Locals) {
          await authorize(ctx, "org.rename", ctx.params.code);
          const { before, after } = await rt.db.transaction(async (m) => {
            const r = m.getRepository(OrgUnitEntity);
            const row = await r.findOneBy({ code: ctx.params.code });
            if (!row) throw new HubError("HUB_ORG_NOT_FOUND", `no org unit ${ctx.params.code}`);
            if (row.status === "closed") throw new HubError("HUB_ORG_CLOSED", `${row.code} is closed`);
            await r.update(
              { code: row.code },
              { name: ctx.params.name, updatedAt: rt.clock().toISOString() },
            );
            return { before: row.name, after: ctx.params.name };
          });
          ctx.locals.auditDetails = { before: { name: before }, after: { name: after } };
          return view(await load(ctx.params.code));
        },
      },

      close: {
        audit: { action: "org.close", target: (p) => `org:${p.code}` },
        async handler(ctx: HubContext<{ code: string }> & Locals) {
          const { code } = ctx.params;
          await authorize(ctx, "org.close", code);
          const actor = actorOf(ctx);
          if (actor.orgCode === code) {
            throw new HubError("HUB_ORG_NOT_EMPTY", "an administrator cannot close their own org unit");
          }
          await rt.db.transaction(async (m) => {
            const r = m.getRepository(OrgUnitEntity);
            const row = await r.findOneBy({ code });
            if (!row) throw new HubError("HUB_ORG_NOT_FOUND", `no org unit ${code}`);
            if (row.status === "closed") throw new HubError("HUB_ORG_CLOSED", `${code} is already closed`);
            const openChildren = await r.countBy({ parentCode: code, status: "open" });
            const enabledUsers = await m.getRepository(UserEntity).countBy({ orgCode: code, enabled: true });
            if (openChildren || enabledUsers) {
              throw new HubError(
                "HUB_ORG_NOT_EMPTY",
                `${code} has ${openChildren} open units and ${enabledUsers} enabled users`,
                {
                  openChildren,
                  enabledUsers,
                },
              );
            }
            const now = rt.clock().toISOString();
            await r.update({ code }, { status: "closed", closedAt: now, updatedAt: now });
          });
          await ctx.broadcast("org.changed", { code });
          ctx.locals.auditDetails = { before: { status: "open" }, after: { status: "closed" } };
          return view(await load(code));
        },
      },
    },
  };
}
