import type { Assessment, AssessmentSource, CustomerLevel } from "../../domain/risk";
import {
  CustomerCardEntity,
  CustomerEntity,
  RiskAssessmentEntity,
  type CustomerRow,
} from "../../db/entities";
import type { HubRuntime } from "../../runtime";
import type { CustomerQuery, CustomerRecord, RiskSource } from "./sources";

const NAME_MATCHES = 50;

/** The hub's own catalog (imports, questionnaires, scans) as a risk source. */
export function localCatalogSource(rt: HubRuntime): RiskSource {
  const customers = () => rt.db.manager.getRepository(CustomerEntity);

  async function toRecord(row: CustomerRow): Promise<CustomerRecord> {
    const cards = await rt.db.manager
      .getRepository(CustomerCardEntity)
      .find({ where: { customerNo: row.customerNo } });
    return {
      customerNo: row.customerNo,
      name: row.name,
      idType: row.idType,
      idNumber: rt.fields.decrypt(row.idNumberEnc),
      phone: row.phoneEnc ? rt.fields.decrypt(row.phoneEnc) : null,
      birthDate: row.birthDate,
      cardLast4: cards.map((c) => c.last4),
    };
  }

  return {
    name: "local",
    async findCustomers(query: CustomerQuery): Promise<CustomerRecord[]> {
      let rows: CustomerRow[] = [];
      if (query.customerNo) {
        rows = await customers().find({ where: { customerNo: query.customerNo } });
      } else if (query.idNo) {
        rows = await customers().find({ where: { idNumberIndex: rt.fields.blindIndex("id", query.idNo) } });
      } else if (query.card) {
        const card = await rt.db.manager
          .getRepository(CustomerCardEntity)
          .findOneBy({ cardIndex: rt.fields.blindIndex("card", query.card) });
        rows = card ? await customers().find({ where: { customerNo: card.customerNo } }) : [];
      } else if (query.name) {
        rows = await customers().find({
          where: { name: query.name },
          order: { customerNo: "ASC" },
          take: NAME_MATCHES,
        });
      }
      return Promise.all(rows.map(toRecord));
    },
    async assessments(customerNo: string): Promise<Assessment[]> {
      const rows = await rt.db.manager.getRepository(RiskAssessmentEntity).find({ where: { customerNo } });
      return rows.map((r) => ({
        level: r.level as CustomerLevel,
        assessedAt: r.assessedAt,
        validUntil: r.validUntil,
        source: r.source as AssessmentSource,
        recordedAt: r.recordedAt,
      }));
    },
  };
}
