import type { ServiceSchema } from "moleculer";
import { businessDay } from "../../domain/business-day";
import crypto from "node:crypto";
import { maskIdNumber, maskName, maskPhone } from "../../domain/masking";
import {
  DEFAULT_QUESTIONNAIRE,
  questionnaireProblems,
  scoreQuestionnaire,
  type Questionnaire,
} from "../../domain/questionnaire";
import type { ProductType } from "../../domain/recording-required";
import { buildSaleScript, qualificationProblem, type ScriptInput } from "../../domain/sales-script";
import {
  defaultValidUntil,
  isAssessmentValid,
  latestAssessment,
  matchRisk,
  RISK_LEVEL_NAMES,
  type Assessment,
  type CustomerLevel,
  type ProductRisk,
} from "../../domain/risk";
import {
  ProductEntity,
  QuestionnaireEntity,
  RiskAssessmentEntity,
  SettingEntity,
  type RiskAssessmentRow,
} from "../../db/entities";
import { HubError, ValidationError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { healthAction } from "../health.mixin";
import { localCatalogSource } from "./local-source";
import { pluginRiskSource } from "./plugin-source";
import {
  readValiditySetting,
  VALIDITY_MONTHS_MAX,
  VALIDITY_MONTHS_MIN,
  VALIDITY_SETTING,
} from "./assessment-settings";
import type { CustomerQuery, CustomerRecord, RiskSource } from "./sources";

type Locals = { locals: AuditLocals };

interface StaffView {
  username: string;
  displayName: string;
  employeeNo: string | null;
  qualificationCertNo: string | null;
  qualificationValidUntil: string | null;
}

function assessmentView(a: Assessment | null, onDay: string) {
  if (!a) return null;
  return {
    level: a.level,
    levelName: RISK_LEVEL_NAMES[a.level],
    assessedAt: a.assessedAt,
    validUntil: a.validUntil,
    valid: isAssessmentValid(a, onDay),
    source: a.source,
    ...(a.provider ? { provider: a.provider } : {}),
  };
}

/** The bank system behind a legacy error, when the plugin host named it. */
function pluginOf(error: unknown): string | null {
  const data = (error as HubError).data as { plugin?: unknown } | undefined;
  return typeof data?.plugin === "string" ? data.plugin : null;
}

/** The query as it may appear in the audit trail: which key was used, never the card or identity number itself. */
function auditQuery(q: CustomerQuery): Record<string, string> {
  if (q.card) return { by: "card", value: `****${q.card.replace(/\D/g, "").slice(-4)}` };
  if (q.idNo) return { by: "idNo", value: maskIdNumber(q.idNo) };
  if (q.customerNo) return { by: "customerNo", value: q.customerNo };
  return { by: "name", value: q.name ?? "" };
}

/**
 * Who the customer is and whether they may buy a product: customer lookup (card, identity number, number, name)
 * with the assessment in force, and the product-risk match. Sources (the hub's catalog, then the bank's systems through
 * plugins) are asked in order; the first that knows the customer answers, and the newest assessment any source
 * knows is the one in force.
 */
export function createRiskLookupService(
  rt: HubRuntime,
  sources: RiskSource[] = [localCatalogSource(rt), pluginRiskSource(rt.plugins)],
): ServiceSchema {
  async function findCustomers(query: CustomerQuery): Promise<CustomerRecord[]> {
    for (const source of sources) {
      const found = await source.findCustomers(query);
      if (found.length) return found;
    }
    return [];
  }

  /**
   * The newest assessment any source knows (a questionnaire here, or a newer one at the counter). A system that
   * cannot answer is named in `unavailable`; without an assessment valid on the day from the others, its typed error
   * (HUB_LEGACY_*) is the answer: a sale is never matched against a level that may have been superseded.
   */
  async function assessmentInForce(
    customerNo: string,
    onDay: string,
  ): Promise<{ assessment: Assessment | null; unavailable: string[] }> {
    const known: Assessment[] = [];
    const failures: { source: string; error: unknown }[] = [];
    for (const source of sources) {
      try {
        known.push(...(await source.assessments(customerNo)));
      } catch (error) {
        if (!(error as HubError).retryable) throw error;
        failures.push({ source: source.name, error });
      }
    }
    const assessment = latestAssessment(known);
    if (failures.length && !(assessment && isAssessmentValid(assessment, onDay))) throw failures[0].error;
    return { assessment, unavailable: failures.map((f) => pluginOf(f.error) ?? f.source) };
  }

  async function currentQuestionnaire(): Promise<Questionnaire> {
    const row = await rt.db.manager.getRepository(QuestionnaireEntity).findOneBy({ active: true });
    return row ? (JSON.parse(row.definition) as Questionnaire) : DEFAULT_QUESTIONNAIRE;
  }

  async function questionnaireByVersion(version: string): Promise<Questionnaire> {
    if (version === DEFAULT_QUESTIONNAIRE.version) return DEFAULT_QUESTIONNAIRE;
    const row = await rt.db.manager.getRepository(QuestionnaireEntity).findOneBy({ version });
    if (!row) {
      throw new ValidationError([
        { field: "body.questionnaireVersion", code: "unknown", message: `no questionnaire ${version}` },
      ]);
    }
    return JSON.parse(row.definition) as Questionnaire;
  }

  /** A new assessment, valid for the period head office set (default 12 months, until the day before). */
  async function storeAssessment(
    ctx: HubContext<unknown>,
    a: Omit<RiskAssessmentRow, "id" | "validUntil" | "recordedAt" | "recordedBy">,
  ) {
    const [customer] = await findCustomers({ customerNo: a.customerNo });
    if (!customer)
      throw new HubError("HUB_CUSTOMER_NOT_FOUND", `no customer ${a.customerNo}`, {
        field: "body.customerNo",
      });
    const { validityMonths } = await readValiditySetting(rt.db.manager);
    const validUntil = defaultValidUntil(a.assessedAt, validityMonths);
    const row: RiskAssessmentRow = {
      ...a,
      id: crypto.randomUUID(),
      validUntil,
      recordedBy: actorOf(ctx).username,
      recordedAt: rt.clock().toISOString(),
    };
    await rt.db.transaction((m) => m.getRepository(RiskAssessmentEntity).insert(row));
    return {
      customerNo: row.customerNo,
      level: row.level,
      levelName: RISK_LEVEL_NAMES[row.level as CustomerLevel],
      assessedAt: row.assessedAt,
      validUntil: row.validUntil,
      source: row.source,
    };
  }

  /** The assessment in force as shown, and which systems could not be asked (only when some could not). */
  async function assessmentFields(customerNo: string, onDay: string) {
    const { assessment, unavailable } = await assessmentInForce(customerNo, onDay);
    return {
      assessment: assessmentView(assessment, onDay),
      ...(unavailable.length ? { unavailableSources: unavailable } : {}),
    };
  }

  async function customerView(c: CustomerRecord, onDay: string, unmasked: boolean) {
    return {
      customerNo: c.customerNo,
      name: c.name,
      idType: c.idType,
      idNumber: unmasked ? c.idNumber : maskIdNumber(c.idNumber),
      phone: c.phone === null ? null : unmasked ? c.phone : maskPhone(c.phone),
      birthDate: c.birthDate,
      cards: c.cardLast4.map((last4) => ({ last4 })),
      ...(await assessmentFields(c.customerNo, onDay)),
    };
  }

  return {
    name: "risk-lookup",
    mixins: [healthAction(rt)],
    actions: {
      lookup: {
        audit: { action: "customer.read", target: (p) => (p.customerNo ? `customer:${p.customerNo}` : null) },
        async handler(ctx: HubContext<CustomerQuery> & Locals) {
          const actor = actorOf(ctx);
          await authorize(ctx, "customer.read", actor.orgCode);
          const query = ctx.params;
          const given = (["card", "idNo", "customerNo", "name"] as const).filter(
            (k) => query[k] !== undefined,
          );
          if (given.length !== 1) {
            throw new HubError("HUB_VALIDATION_FAILED", "give exactly one of card, idNo, customerNo, name", [
              { field: "query", code: "oneOf", message: "exactly one of card, idNo, customerNo, name" },
            ]);
          }
          ctx.locals.auditDetails = { query: auditQuery(query) };
          const onDay = businessDay(rt.clock());
          const found = await findCustomers(query);
          if (!found.length) throw new HubError("HUB_CUSTOMER_NOT_FOUND", `no customer by ${given[0]}`);
          ctx.locals.auditDetails.customers = found.map((c) => c.customerNo);
          return { items: await Promise.all(found.map((c) => customerView(c, onDay, false))) };
        },
      },

      get: {
        audit: { action: "customer.read", target: (p) => `customer:${p.customerNo}` },
        async handler(ctx: HubContext<{ customerNo: string; unmasked?: boolean }> & Locals) {
          const actor = actorOf(ctx);
          // Identity data in clear is its own permission, and every such read is marked in the audit trail.
          await authorize(
            ctx,
            ctx.params.unmasked ? "customer.readUnmasked" : "customer.read",
            actor.orgCode,
          );
          ctx.locals.auditDetails = { unmasked: Boolean(ctx.params.unmasked) };
          const [customer] = await findCustomers({ customerNo: ctx.params.customerNo });
          if (!customer) throw new HubError("HUB_CUSTOMER_NOT_FOUND", `no customer ${ctx.params.customerNo}`);
          return customerView(customer, businessDay(rt.clock()), Boolean(ctx.params.unmasked));
        },
      },

      match: {
        audit: { action: "risk.match", target: (p) => `customer:${p.customerNo}` },
        async handler(ctx: HubContext<{ customerNo: string; productCode: string; onDay?: string }> & Locals) {
          const actor = actorOf(ctx);
          await authorize(ctx, "customer.read", actor.orgCode);
          await authorize(ctx, "product.read", actor.orgCode);
          const product = await rt.db.manager
            .getRepository(ProductEntity)
            .findOneBy({ code: ctx.params.productCode });
          if (!product)
            throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${ctx.params.productCode}`, {
              field: "productCode",
            });
          const [customer] = await findCustomers({ customerNo: ctx.params.customerNo });
          if (!customer)
            throw new HubError("HUB_CUSTOMER_NOT_FOUND", `no customer ${ctx.params.customerNo}`, {
              field: "customerNo",
            });
          const onDay = ctx.params.onDay ?? businessDay(rt.clock());
          const { assessment, unavailable } = await assessmentInForce(customer.customerNo, onDay);
          const result = matchRisk(assessment, product.risk as ProductRisk, onDay);
          ctx.locals.auditDetails = {
            productCode: product.code,
            onDay,
            code: result.code,
            ...(assessment?.provider ? { assessedBy: assessment.provider } : {}),
            ...(unavailable.length ? { unavailableSources: unavailable } : {}),
          };
          return {
            ...result,
            customerNo: customer.customerNo,
            productCode: product.code,
            onDay,
            ...(unavailable.length ? { unavailableSources: unavailable } : {}),
          };
        },
      },

      /** The questionnaire staff put to the customer: the one head office made current, else the default. */
      currentQuestionnaire: {
        async handler(ctx: HubContext) {
          const actor = actorOf(ctx);
          await authorize(ctx, "riskAssessment.create", actor.orgCode);
          return currentQuestionnaire();
        },
      },

      /** 总行 replaces the questionnaire with a new version; assessments keep the version they were scored with. */
      replaceQuestionnaire: {
        audit: { action: "questionnaire.configure", target: (p) => `questionnaire:${p.version}` },
        async handler(ctx: HubContext<Questionnaire> & Locals) {
          const root = await ctx.call<OrgRef>("org.root");
          const actor = await authorize(ctx, "questionnaire.configure", root.code);
          const definition = ctx.params;
          const problems = questionnaireProblems(definition);
          if (problems.length)
            throw new ValidationError(problems.map((p) => ({ ...p, field: `body.${p.field}` })));
          await rt.db.transaction(async (m) => {
            const repo = m.getRepository(QuestionnaireEntity);
            if (
              (await repo.existsBy({ version: definition.version })) ||
              definition.version === DEFAULT_QUESTIONNAIRE.version
            ) {
              throw new HubError(
                "HUB_VALIDATION_FAILED",
                `version ${definition.version} exists; give the new one its own`,
                [
                  {
                    field: "body.version",
                    code: "duplicate",
                    message: "a questionnaire with this version exists",
                  },
                ],
              );
            }
            await repo.update({ active: true }, { active: false });
            await repo.insert({
              version: definition.version,
              definition: JSON.stringify(definition),
              active: true,
              createdBy: actor.username,
              createdAt: rt.clock().toISOString(),
            });
          });
          ctx.locals.auditDetails = { version: definition.version, questions: definition.questions.length };
          return { version: definition.version, active: true };
        },
      },

      /** The period for which a new assessment is valid (head office's setting). */
      assessmentSettings: {
        async handler(ctx: HubContext) {
          const actor = actorOf(ctx);
          await authorize(ctx, "customer.read", actor.orgCode);
          return readValiditySetting(rt.db.manager);
        },
      },

      /** 总行 sets the period of validity of new assessments; those already made keep their valid-until day. */
      updateAssessmentSettings: {
        audit: { action: "riskAssessment.configure", target: () => `setting:${VALIDITY_SETTING}` },
        async handler(ctx: HubContext<{ validityMonths: number }> & Locals) {
          const root = await ctx.call<OrgRef>("org.root");
          const actor = await authorize(ctx, "riskAssessment.configure", root.code);
          const { validityMonths } = ctx.params;
          if (validityMonths < VALIDITY_MONTHS_MIN || validityMonths > VALIDITY_MONTHS_MAX) {
            throw new ValidationError([
              {
                field: "body.validityMonths",
                code: "range",
                message: `must be ${VALIDITY_MONTHS_MIN} to ${VALIDITY_MONTHS_MAX} months`,
              },
            ]);
          }
          const before = await rt.db.transaction(async (m) => {
            const previous = await readValiditySetting(m);
            await m.getRepository(SettingEntity).save({
              name: VALIDITY_SETTING,
              value: String(validityMonths),
              updatedBy: actor.username,
              updatedAt: rt.clock().toISOString(),
            });
            return previous;
          });
          ctx.locals.auditDetails = {
            before: { validityMonths: before.validityMonths },
            after: { validityMonths },
          };
          return readValiditySetting(rt.db.manager);
        },
      },

      /** Scores the customer's answers and stores the result as the customer's newest assessment. */
      assessByQuestionnaire: {
        audit: { action: "riskAssessment.create", target: (p) => `customer:${p.customerNo}` },
        async handler(
          ctx: HubContext<{
            customerNo: string;
            questionnaireVersion: string;
            answers: Record<string, string>;
          }> &
            Locals,
        ) {
          const actor = actorOf(ctx);
          await authorize(ctx, "riskAssessment.create", actor.orgCode);
          const { customerNo, questionnaireVersion, answers } = ctx.params;
          const questionnaire = await questionnaireByVersion(questionnaireVersion);
          const scored = scoreQuestionnaire(questionnaire, answers);
          if ("problems" in scored)
            throw new ValidationError(scored.problems.map((p) => ({ ...p, field: `body.${p.field}` })));
          const stored = await storeAssessment(ctx, {
            customerNo,
            level: scored.level,
            assessedAt: businessDay(rt.clock()),
            source: "questionnaire",
            questionnaireVersion,
            score: scored.score,
            evidenceRef: null,
          });
          ctx.locals.auditDetails = { level: stored.level, score: scored.score, questionnaireVersion };
          return { ...stored, score: scored.score, questionnaireVersion };
        },
      },

      /** A paper questionnaire: staff enter the level; the scan is kept as evidence by reference. */
      assessByScan: {
        audit: { action: "riskAssessment.create", target: (p) => `customer:${p.customerNo}` },
        async handler(
          ctx: HubContext<{
            customerNo: string;
            level: CustomerLevel;
            assessedAt: string;
            evidenceRef: string;
          }> &
            Locals,
        ) {
          const actor = actorOf(ctx);
          await authorize(ctx, "riskAssessment.create", actor.orgCode);
          const { customerNo, level, assessedAt, evidenceRef } = ctx.params;
          if (assessedAt > businessDay(rt.clock())) {
            throw new ValidationError([
              { field: "body.assessedAt", code: "future", message: "must not be after today" },
            ]);
          }
          const stored = await storeAssessment(ctx, {
            customerNo,
            level,
            assessedAt,
            source: "scan",
            questionnaireVersion: null,
            score: null,
            evidenceRef,
          });
          ctx.locals.auditDetails = { level, assessedAt, evidenceRef };
          return stored;
        },
      },

      /** The ordered steps of a sale for this product and customer, told by this member of staff. */
      saleScript: {
        async handler(ctx: HubContext<{ productCode: string; customerNo?: string }>) {
          const actor = actorOf(ctx);
          await authorize(ctx, "recording.create", actor.orgCode);
          const onDay = businessDay(rt.clock());
          const staff = await ctx.call<StaffView>("access.me");
          const unqualified = qualificationProblem(staff, onDay);
          if (unqualified)
            throw new HubError("HUB_STAFF_NOT_QUALIFIED", unqualified.reason, { username: staff.username });
          const product = await rt.db.manager
            .getRepository(ProductEntity)
            .findOneBy({ code: ctx.params.productCode });
          if (!product)
            throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${ctx.params.productCode}`, {
              field: "productCode",
            });
          let customer: ScriptInput["customer"] = null;
          if (ctx.params.customerNo) {
            const [found] = await findCustomers({ customerNo: ctx.params.customerNo });
            if (!found)
              throw new HubError("HUB_CUSTOMER_NOT_FOUND", `no customer ${ctx.params.customerNo}`, {
                field: "customerNo",
              });
            const { assessment } = await assessmentInForce(found.customerNo, onDay);
            customer = {
              customerNo: found.customerNo,
              name: maskName(found.name),
              level: assessment?.level ?? null,
              assessmentValid: assessment ? isAssessmentValid(assessment, onDay) : false,
              assessedAt: assessment?.assessedAt ?? null,
              validUntil: assessment?.validUntil ?? null,
            };
          }
          const steps = buildSaleScript({
            product: { ...product, type: product.type as ProductType, risk: product.risk as ProductRisk },
            customer,
            staff: { ...staff, name: staff.displayName },
            onDay,
          });
          return { productCode: product.code, customerNo: customer?.customerNo ?? null, onDay, steps };
        },
      },
    },
  };
}
