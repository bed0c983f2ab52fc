import type { EntityManager } from "typeorm";
import { SettingEntity } from "../../db/entities";
import { DEFAULT_ASSESSMENT_VALIDITY_MONTHS } from "../../domain/risk";

/** Head office's period of validity of a risk assessment, in months (a setting; default 12). */
export const VALIDITY_SETTING = "riskAssessment.validityMonths";
export const VALIDITY_MONTHS_MIN = 1;
export const VALIDITY_MONTHS_MAX = 60;

export interface ValiditySetting {
  validityMonths: number;
  isDefault: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
}

export async function readValiditySetting(m: EntityManager): Promise<ValiditySetting> {
  const row = await m.getRepository(SettingEntity).findOneBy({ name: VALIDITY_SETTING });
  return row
    ? {
        validityMonths: Number(row.value),
        isDefault: false,
        updatedBy: row.updatedBy,
        updatedAt: row.updatedAt,
      }
    : {
        validityMonths: DEFAULT_ASSESSMENT_VALIDITY_MONTHS,
        isDefault: true,
        updatedBy: null,
        updatedAt: null,
      };
}
