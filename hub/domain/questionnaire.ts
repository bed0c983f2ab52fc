/**
 * The electronic risk questionnaire (风险评估问卷): its definition checks, its scoring, and the default one.
 *
 * Head office may replace the questionnaire with its own version, so a definition is data and is checked
 * before it is accepted (`questionnaireProblems`) and again before it scores anything. Pure functions only.
 */
import type { FieldProblem } from "../errors/hub-error";
import { CUSTOMER_LEVELS, isCustomerLevel, type CustomerLevel } from "./risk";

export interface QuestionOption {
  code: string;
  text: string;
  score: number;
}

export interface Question {
  code: string;
  text: string;
  options: QuestionOption[];
}

export interface Questionnaire {
  version: string;
  title: string;
  questions: Question[];
  /** One per level C1–C5; a total maps to the highest level whose minScore it reaches. */
  thresholds: { level: CustomerLevel; minScore: number }[];
}

export type QuestionnaireScore = { score: number; level: CustomerLevel };

/** The problem codes either function can report, for callers that map them to messages of their own. */
export const QUESTIONNAIRE_PROBLEM_CODES = [
  "required", // an empty version, title, code or text
  "minItems", // no question, or a question with fewer than 2 options
  "duplicate", // a question or option code used twice
  "notFinite", // a score or minScore that is not a finite number
  "unknownLevel", // a threshold for something other than C1–C5
  "duplicateLevel", // two thresholds for one level
  "missingLevel", // no threshold for a level
  "notIncreasing", // minScore not strictly above the previous level's
  "lowestUnreachable", // C1's minScore above the lowest possible total: some totals would map to no level
  "highestUnreachable", // C5's minScore above the highest possible total: nobody could ever be C5
  "invalidQuestionnaire", // scoring was asked of a questionnaire with definition problems
  "missingAnswer",
  "unknownOption",
  "unknownQuestion",
] as const;
export type QuestionnaireProblemCode = (typeof QUESTIONNAIRE_PROBLEM_CODES)[number];

export interface QuestionnaireProblem extends FieldProblem {
  code: QuestionnaireProblemCode;
}

const blank = (s: unknown): boolean => typeof s !== "string" || s.trim() === "";
const isFiniteNumber = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);

/**
 * Everything wrong with a questionnaire definition, each with a field path such as `questions[2].options[0].score`.
 * An empty list means it can be stored and used for scoring.
 */
export function questionnaireProblems(q: Questionnaire): QuestionnaireProblem[] {
  const problems: QuestionnaireProblem[] = [];
  const add = (field: string, code: QuestionnaireProblemCode, message: string): void => {
    problems.push({ field, code, message });
  };

  if (blank(q.version)) add("version", "required", "a version is required");
  if (blank(q.title)) add("title", "required", "a title is required");

  const questions = Array.isArray(q.questions) ? q.questions : [];
  if (questions.length === 0) add("questions", "minItems", "at least one question is required");

  // The lowest and highest totals a customer can reach; only meaningful when every score is finite.
  let minTotal = 0;
  let maxTotal = 0;
  let totalsKnown = true;
  const questionCodes = new Set<string>();
  questions.forEach((question, i) => {
    const at = `questions[${i}]`;
    if (blank(question.code)) add(`${at}.code`, "required", "a question code is required");
    else if (questionCodes.has(question.code)) {
      add(`${at}.code`, "duplicate", `question code ${question.code} is used more than once`);
    } else questionCodes.add(question.code);
    if (blank(question.text)) add(`${at}.text`, "required", "the question text is required");

    const options = Array.isArray(question.options) ? question.options : [];
    if (options.length < 2) add(`${at}.options`, "minItems", "a question needs at least 2 options");
    const optionCodes = new Set<string>();
    const scores: number[] = [];
    options.forEach((option, j) => {
      const oat = `${at}.options[${j}]`;
      if (blank(option.code)) add(`${oat}.code`, "required", "an option code is required");
      else if (optionCodes.has(option.code)) {
        add(`${oat}.code`, "duplicate", `option code ${option.code} is used more than once in this question`);
      } else optionCodes.add(option.code);
      if (blank(option.text)) add(`${oat}.text`, "required", "the option text is required");
      if (!isFiniteNumber(option.score))
        add(`${oat}.score`, "notFinite", "the score must be a finite number");
      else scores.push(option.score);
    });
    if (scores.length === 0 || scores.length < options.length) totalsKnown = false;
    else {
      minTotal += Math.min(...scores);
      maxTotal += Math.max(...scores);
    }
  });

  const thresholds = Array.isArray(q.thresholds) ? q.thresholds : [];
  const byLevel = new Map<CustomerLevel, number | null>();
  thresholds.forEach((t, i) => {
    const at = `thresholds[${i}]`;
    if (!isCustomerLevel(t.level)) {
      add(`${at}.level`, "unknownLevel", `level must be one of ${CUSTOMER_LEVELS.join(", ")}`);
      return;
    }
    if (byLevel.has(t.level)) {
      add(`${at}.level`, "duplicateLevel", `level ${t.level} has more than one threshold`);
      return;
    }
    if (!isFiniteNumber(t.minScore)) {
      add(`${at}.minScore`, "notFinite", "minScore must be a finite number");
      byLevel.set(t.level, null);
    } else byLevel.set(t.level, t.minScore);
  });
  for (const level of CUSTOMER_LEVELS) {
    if (!byLevel.has(level)) add("thresholds", "missingLevel", `no threshold for level ${level}`);
  }

  // Order is checked between neighbouring levels that both have a usable minScore, in level order.
  let previous: { level: CustomerLevel; minScore: number } | null = null;
  for (const level of CUSTOMER_LEVELS) {
    const minScore = byLevel.get(level);
    if (minScore === undefined || minScore === null) continue;
    if (previous !== null && minScore <= previous.minScore) {
      add(
        `thresholds[${thresholds.findIndex((t) => t.level === level)}].minScore`,
        "notIncreasing",
        `${level}'s minScore ${minScore} must be above ${previous.level}'s ${previous.minScore}`,
      );
    }
    previous = { level, minScore };
  }

  if (totalsKnown && questions.length > 0) {
    const c1 = byLevel.get("C1");
    if (typeof c1 === "number" && c1 > minTotal) {
      add(
        `thresholds[${thresholds.findIndex((t) => t.level === "C1")}].minScore`,
        "lowestUnreachable",
        `C1's minScore ${c1} is above the lowest possible total ${minTotal}; every total must map to a level`,
      );
    }
    const c5 = byLevel.get("C5");
    if (typeof c5 === "number" && c5 > maxTotal) {
      add(
        `thresholds[${thresholds.findIndex((t) => t.level === "C5")}].minScore`,
        "highestUnreachable",
        `C5's minScore ${c5} is above the highest possible total ${maxTotal}; nobody could reach C5`,
      );
    }
  }
  return problems;
}

/**
 * Scores a customer's answers (question code → option code). Every question must be answered with one of its
 * option codes and nothing else may be answered; problems name the field as `answers.<question code>`. The level
 * is the highest one whose minScore the total reaches. A questionnaire with definition problems scores nothing.
 */
export function scoreQuestionnaire(
  q: Questionnaire,
  answers: Record<string, string>,
): QuestionnaireScore | { problems: QuestionnaireProblem[] } {
  const definition = questionnaireProblems(q);
  if (definition.length > 0) {
    return {
      problems: [
        {
          field: "questionnaire",
          code: "invalidQuestionnaire",
          message: `questionnaire ${q.version} is not valid: ${definition.map((p) => `${p.field} ${p.code}`).join(", ")}`,
        },
      ],
    };
  }

  const problems: QuestionnaireProblem[] = [];
  const given = answers !== null && typeof answers === "object" ? answers : {};
  // Own properties only, so an answer keyed "constructor" or "__proto__" is an unknown question, not a lookup hit.
  const answered = (code: string): boolean => Object.prototype.hasOwnProperty.call(given, code);
  let score = 0;
  for (const question of q.questions) {
    const field = `answers.${question.code}`;
    if (!answered(question.code)) {
      problems.push({ field, code: "missingAnswer", message: `question ${question.code} is not answered` });
      continue;
    }
    const answer: unknown = given[question.code];
    const option = question.options.find((o) => o.code === answer);
    if (option === undefined) {
      problems.push({
        field,
        code: "unknownOption",
        message: `${JSON.stringify(answer)} is not an option of question ${question.code}`,
      });
      continue;
    }
    score += option.score;
  }
  const known = new Set(q.questions.map((question) => question.code));
  for (const code of Object.keys(given)) {
    if (!known.has(code)) {
      problems.push({
        field: `answers.${code}`,
        code: "unknownQuestion",
        message: `questionnaire ${q.version} has no question ${code}`,
      });
    }
  }
  if (problems.length > 0) return { problems };

  let level: CustomerLevel = "C1";
  for (const t of q.thresholds) {
    if (score >= t.minScore && CUSTOMER_LEVELS.indexOf(t.level) > CUSTOMER_LEVELS.indexOf(level))
      level = t.level;
  }
  return { score, level };
}

// ---------------------------------------------------------------------------------------------------------------
// The default questionnaire
// ---------------------------------------------------------------------------------------------------------------

// Frozen all the way down: the default is shared by every caller, and a caller's mutation must not change it.
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const options = (...entries: [text: string, score: number][]): QuestionOption[] =>
  entries.map(([text, score], i) => ({ code: String.fromCharCode(65 + i), text, score }));

/**
 * Modelled on the questionnaires Chinese banks use for individual customers: financial situation, experience,
 * knowledge, objectives and attitude to loss. Totals run from 9 to 100; the bands follow the common
 * 保守/稳健/平衡/成长/进取 split at 20/40/60/80. Head office can replace it with a version of its own.
 */
export const DEFAULT_QUESTIONNAIRE: Questionnaire = deepFreeze({
  version: "2026.1",
  title: "个人客户风险承受能力评估问卷",
  questions: [
    {
      code: "Q1",
      text: "您的年龄是？",
      options: options(
        ["18–30周岁", 6],
        ["31–50周岁", 8],
        ["51–60周岁", 4],
        ["61–70周岁", 2],
        ["70周岁以上", 1],
      ),
    },
    {
      code: "Q2",
      text: "您的家庭年收入（税后）约为？",
      options: options(
        ["10万元以下", 2],
        ["10万–30万元", 4],
        ["30万–50万元", 6],
        ["50万–100万元", 8],
        ["100万元以上", 10],
      ),
    },
    {
      code: "Q3",
      text: "您家庭可用于投资的金融资产占家庭总资产的比例约为？",
      options: options(["10%以下", 2], ["10%–25%", 4], ["25%–50%", 6], ["50%以上", 8]),
    },
    {
      code: "Q4",
      text: "以下哪项最能描述您的投资经验？",
      options: options(
        ["除银行存款外，基本没有投资经验", 0],
        ["购买过国债、货币基金、低风险银行理财等产品", 4],
        ["购买过债券基金、混合基金、分红型保险等产品", 6],
        ["投资过股票、股票型基金、信托计划、资管计划等产品", 8],
        ["参与过期货、期权、融资融券等衍生品或杠杆交易", 10],
      ),
    },
    {
      code: "Q5",
      text: "您投资基金、理财、股票等非存款类金融产品的年限是？",
      options: options(["没有经验", 0], ["1年以下", 2], ["1–3年", 4], ["3–5年", 6], ["5年以上", 8]),
    },
    {
      code: "Q6",
      text: "您对金融产品和投资知识的了解程度是？",
      options: options(
        ["基本没有了解", 0],
        ["了解存款、国债等基础知识", 3],
        ["了解基金、理财等产品的收益与风险特征", 6],
        ["熟悉多种投资产品，能够独立作出投资决策", 10],
      ),
    },
    {
      code: "Q7",
      text: "您投资的主要目的是？",
      options: options(
        ["保本保值，获取高于存款的稳定收益", 2],
        ["在本金基本安全的前提下获取一定收益", 5],
        ["追求资产较快增长，可以承受一定波动", 8],
        ["追求高收益，愿意承受较大的本金损失", 12],
      ),
    },
    {
      code: "Q8",
      text: "您计划的投资期限是？",
      options: options(["1年以内", 2], ["1–3年", 4], ["3–5年", 6], ["5年以上", 8]),
    },
    {
      code: "Q9",
      text: "您能够承受的最大投资本金亏损是？",
      options: options(
        ["不能承受任何本金亏损", 0],
        ["10%以内", 3],
        ["10%–30%", 6],
        ["30%–50%", 9],
        ["50%以上", 12],
      ),
    },
    {
      code: "Q10",
      text: "如果您的投资在短期内下跌20%，您会怎么做？",
      options: options(
        ["全部赎回或卖出，不再投资", 0],
        ["部分赎回，降低风险", 3],
        ["继续持有，等待回升", 6],
        ["追加投资，逢低买入", 10],
      ),
    },
    {
      code: "Q11",
      text: "您用于投资的资金主要来源于？",
      options: options(
        ["借款或近期需要使用的资金", 0],
        ["工资等日常收入的结余", 2],
        ["长期积累的闲置资金", 4],
      ),
    },
  ],
  thresholds: [
    { level: "C1", minScore: 0 },
    { level: "C2", minScore: 21 },
    { level: "C3", minScore: 41 },
    { level: "C4", minScore: 61 },
    { level: "C5", minScore: 81 },
  ],
});
