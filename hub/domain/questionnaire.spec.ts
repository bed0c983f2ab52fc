/**
 * Questionnaire definition checks, scoring and the default questionnaire. Expectations are literal.
 */
import {
  DEFAULT_QUESTIONNAIRE,
  questionnaireProblems,
  scoreQuestionnaire,
  type Question,
  type Questionnaire,
} from "./questionnaire";
import type { CustomerLevel } from "./risk";

/** A small valid questionnaire: totals 0–40 in steps of 1 via Q1 (0–30) and Q2 (0/10). */
function small(): Questionnaire {
  return {
    version: "T1",
    title: "测试问卷",
    questions: [
      {
        code: "Q1",
        text: "第一题",
        options: [0, 9, 10, 19, 20, 29, 30].map((score) => ({
          code: `S${score}`,
          text: `${score}分`,
          score,
        })),
      },
      {
        code: "Q2",
        text: "第二题",
        options: [
          { code: "A", text: "甲", score: 0 },
          { code: "B", text: "乙", score: 10 },
        ],
      },
    ],
    thresholds: [
      { level: "C1", minScore: 0 },
      { level: "C2", minScore: 10 },
      { level: "C3", minScore: 20 },
      { level: "C4", minScore: 30 },
      { level: "C5", minScore: 40 },
    ],
  };
}

const problemsOf = (q: Questionnaire) => questionnaireProblems(q).map((p) => [p.field, p.code]);

/** Some answers to `q` totalling `target`, found by search (null when unreachable). */
function answersFor(q: Questionnaire, target: number): Record<string, string> | null {
  const go = (i: number, left: number): string[] | null => {
    if (i === q.questions.length) return left === 0 ? [] : null;
    for (const o of q.questions[i].options) {
      const rest = go(i + 1, left - o.score);
      if (rest !== null) return [o.code, ...rest];
    }
    return null;
  };
  const codes = go(0, target);
  return codes === null
    ? null
    : Object.fromEntries(q.questions.map((question, i) => [question.code, codes[i]]));
}

const pick = (q: Questionnaire, choose: (scores: number[]) => number): Record<string, string> =>
  Object.fromEntries(
    q.questions.map((question: Question) => {
      const best = choose(question.options.map((o) => o.score));
      return [question.code, question.options.find((o) => o.score === best)!.code];
    }),
  );

describe("the default questionnaire", () => {
  const q = DEFAULT_QUESTIONNAIRE;

  it("is version 2026.1, in Chinese, and has no definition problems", () => {
    expect(q.version).toBe("2026.1");
    expect(q.title).toBe("个人客户风险承受能力评估问卷");
    expect(questionnaireProblems(q)).toEqual([]);
  });

  it("has about ten questions, each with Chinese text and lettered options", () => {
    expect(q.questions.map((question) => question.code)).toEqual([
      "Q1",
      "Q2",
      "Q3",
      "Q4",
      "Q5",
      "Q6",
      "Q7",
      "Q8",
      "Q9",
      "Q10",
      "Q11",
    ]);
    for (const question of q.questions) {
      expect(question.text).toMatch(/[\u4e00-\u9fff]/);
      expect(question.options.map((o) => o.code)).toEqual(
        ["A", "B", "C", "D", "E"].slice(0, question.options.length),
      );
    }
  });

  it("bands C1–C5 at 0 / 21 / 41 / 61 / 81", () => {
    expect(q.thresholds).toEqual([
      { level: "C1", minScore: 0 },
      { level: "C2", minScore: 21 },
      { level: "C3", minScore: 41 },
      { level: "C4", minScore: 61 },
      { level: "C5", minScore: 81 },
    ]);
  });

  it("scores the lowest answers 9 → C1 and the highest 100 → C5", () => {
    expect(
      scoreQuestionnaire(
        q,
        pick(q, (s) => Math.min(...s)),
      ),
    ).toEqual({ score: 9, level: "C1" });
    expect(
      scoreQuestionnaire(
        q,
        pick(q, (s) => Math.max(...s)),
      ),
    ).toEqual({ score: 100, level: "C5" });
  });

  it.each([
    [9, "C1"],
    [20, "C1"],
    [21, "C2"],
    [40, "C2"],
    [41, "C3"],
    [60, "C3"],
    [61, "C4"],
    [80, "C4"],
    [81, "C5"],
    [100, "C5"],
  ] as [number, CustomerLevel][])("a total of %i → %s", (total, level) => {
    const answers = answersFor(q, total);
    expect(answers).not.toBeNull();
    expect(scoreQuestionnaire(q, answers!)).toEqual({ score: total, level });
  });

  it("is frozen, so no caller can change it for the others", () => {
    expect(Object.isFrozen(q)).toBe(true);
    expect(Object.isFrozen(q.questions[0].options[0])).toBe(true);
    expect(() => {
      (q.thresholds as { minScore: number }[])[0].minScore = 50;
    }).toThrow(TypeError);
  });
});

describe("scoreQuestionnaire levels at exact thresholds", () => {
  it.each([
    ["S0", "A", 0, "C1"],
    ["S9", "A", 9, "C1"], // C2's minScore − 1
    ["S10", "A", 10, "C2"], // = C2's minScore
    ["S19", "A", 19, "C2"],
    ["S20", "A", 20, "C3"],
    ["S29", "A", 29, "C3"],
    ["S30", "A", 30, "C4"],
    ["S29", "B", 39, "C4"],
    ["S30", "B", 40, "C5"],
  ] as [string, string, number, CustomerLevel][])("Q1=%s Q2=%s → %i, %s", (q1, q2, score, level) => {
    expect(scoreQuestionnaire(small(), { Q1: q1, Q2: q2 })).toEqual({ score, level });
  });

  it("does not depend on the order thresholds are listed in", () => {
    const q = small();
    q.thresholds.reverse();
    expect(questionnaireProblems(q)).toEqual([]);
    expect(scoreQuestionnaire(q, { Q1: "S20", Q2: "A" })).toEqual({ score: 20, level: "C3" });
    expect(scoreQuestionnaire(q, { Q1: "S30", Q2: "B" })).toEqual({ score: 40, level: "C5" });
  });

  it("accepts negative and fractional scores", () => {
    const q = small();
    q.questions[1].options[0].score = -2.5;
    q.thresholds[0].minScore = -2.5;
    expect(questionnaireProblems(q)).toEqual([]);
    expect(scoreQuestionnaire(q, { Q1: "S0", Q2: "A" })).toEqual({ score: -2.5, level: "C1" });
  });
});

describe("scoreQuestionnaire answer problems", () => {
  it("reports a missing answer by field", () => {
    expect(scoreQuestionnaire(small(), { Q1: "S0" })).toEqual({
      problems: [{ field: "answers.Q2", code: "missingAnswer", message: "question Q2 is not answered" }],
    });
  });

  it("reports an unknown option by field", () => {
    expect(scoreQuestionnaire(small(), { Q1: "S0", Q2: "C" })).toEqual({
      problems: [
        { field: "answers.Q2", code: "unknownOption", message: '"C" is not an option of question Q2' },
      ],
    });
  });

  it("reports an answer to an unknown question by field", () => {
    expect(scoreQuestionnaire(small(), { Q1: "S0", Q2: "A", Q3: "A" })).toEqual({
      problems: [
        { field: "answers.Q3", code: "unknownQuestion", message: "questionnaire T1 has no question Q3" },
      ],
    });
  });

  it("reports every problem at once, questions first then unknown answers", () => {
    const result = scoreQuestionnaire(small(), { Q2: "a", Q9: "A", q1: "S0" });
    expect("problems" in result && result.problems.map((p) => [p.field, p.code])).toEqual([
      ["answers.Q1", "missingAnswer"],
      ["answers.Q2", "unknownOption"],
      ["answers.Q9", "unknownQuestion"],
      ["answers.q1", "unknownQuestion"],
    ]);
  });

  it("reports everything missing for empty answers", () => {
    const result = scoreQuestionnaire(small(), {});
    expect("problems" in result && result.problems.map((p) => [p.field, p.code])).toEqual([
      ["answers.Q1", "missingAnswer"],
      ["answers.Q2", "missingAnswer"],
    ]);
  });

  it("takes an option code only: not its text, not its score, not a number", () => {
    const answers = { Q1: "0分", Q2: 10 } as unknown as Record<string, string>;
    const result = scoreQuestionnaire(small(), answers);
    expect("problems" in result && result.problems.map((p) => [p.field, p.code])).toEqual([
      ["answers.Q1", "unknownOption"],
      ["answers.Q2", "unknownOption"],
    ]);
  });

  it("does not mistake inherited properties for answers or questions", () => {
    const answers = JSON.parse('{"Q1":"S0","Q2":"A","__proto__":"A","constructor":"A"}');
    const result = scoreQuestionnaire(small(), answers);
    expect("problems" in result && result.problems.map((p) => [p.field, p.code])).toEqual([
      ["answers.__proto__", "unknownQuestion"],
      ["answers.constructor", "unknownQuestion"],
    ]);
    const q = small();
    q.questions[0].code = "toString";
    expect(scoreQuestionnaire(q, { Q2: "A" })).toEqual({
      problems: [
        { field: "answers.toString", code: "missingAnswer", message: "question toString is not answered" },
      ],
    });
  });

  it("refuses to score with a questionnaire that has definition problems", () => {
    const q = small();
    q.thresholds.pop();
    expect(scoreQuestionnaire(q, { Q1: "S0", Q2: "A" })).toEqual({
      problems: [
        {
          field: "questionnaire",
          code: "invalidQuestionnaire",
          message: "questionnaire T1 is not valid: thresholds missingLevel",
        },
      ],
    });
  });
});

describe("questionnaireProblems", () => {
  it("finds none in a valid definition", () => {
    expect(questionnaireProblems(small())).toEqual([]);
  });

  const CASES: [string, (q: Questionnaire) => void, [string, string][]][] = [
    ["empty version", (q) => (q.version = ""), [["version", "required"]]],
    ["blank version", (q) => (q.version = "  "), [["version", "required"]]],
    ["empty title", (q) => (q.title = ""), [["title", "required"]]],
    [
      "no questions",
      (q) => (q.questions = []),
      [["questions", "minItems"]], // totals unknown, so C1/C5 reachability is not judged
    ],
    ["empty question code", (q) => (q.questions[1].code = ""), [["questions[1].code", "required"]]],
    ["duplicate question code", (q) => (q.questions[1].code = "Q1"), [["questions[1].code", "duplicate"]]],
    ["empty question text", (q) => (q.questions[0].text = " "), [["questions[0].text", "required"]]],
    ["a single option", (q) => q.questions[1].options.shift(), [["questions[1].options", "minItems"]]],
    ["no options", (q) => (q.questions[1].options = []), [["questions[1].options", "minItems"]]],
    [
      "duplicate option code",
      (q) => (q.questions[1].options[1].code = "A"),
      [["questions[1].options[1].code", "duplicate"]],
    ],
    ["the same option code in two questions is fine", (q) => (q.questions[0].options[0].code = "A"), []],
    [
      "empty option code",
      (q) => (q.questions[1].options[0].code = ""),
      [["questions[1].options[0].code", "required"]],
    ],
    [
      "empty option text",
      (q) => (q.questions[1].options[0].text = ""),
      [["questions[1].options[0].text", "required"]],
    ],
    [
      "NaN score",
      (q) => (q.questions[1].options[1].score = Number.NaN),
      [["questions[1].options[1].score", "notFinite"]],
    ],
    [
      "infinite score",
      (q) => (q.questions[0].options[2].score = Infinity),
      [["questions[0].options[2].score", "notFinite"]],
    ],
    [
      "score given as a string",
      (q) => (q.questions[0].options[0].score = "0" as unknown as number),
      [["questions[0].options[0].score", "notFinite"]],
    ],
    ["missing level", (q) => q.thresholds.splice(2, 1), [["thresholds", "missingLevel"]]],
    [
      "no thresholds",
      (q) => (q.thresholds = []),
      [
        ["thresholds", "missingLevel"],
        ["thresholds", "missingLevel"],
        ["thresholds", "missingLevel"],
        ["thresholds", "missingLevel"],
        ["thresholds", "missingLevel"],
      ],
    ],
    [
      "duplicate level",
      (q) => (q.thresholds[2].level = "C2"),
      [
        ["thresholds[2].level", "duplicateLevel"],
        ["thresholds", "missingLevel"],
      ],
    ],
    [
      "unknown level",
      (q) => (q.thresholds[4].level = "C6" as CustomerLevel),
      [
        ["thresholds[4].level", "unknownLevel"],
        ["thresholds", "missingLevel"],
      ],
    ],
    [
      "an extra sixth threshold",
      (q) => q.thresholds.push({ level: "C5", minScore: 45 }),
      [["thresholds[5].level", "duplicateLevel"]],
    ],
    [
      "equal minScores",
      (q) => (q.thresholds[2].minScore = 10),
      [["thresholds[2].minScore", "notIncreasing"]],
    ],
    [
      "decreasing minScores",
      (q) => (q.thresholds[3].minScore = 5),
      [["thresholds[3].minScore", "notIncreasing"]],
    ],
    [
      "NaN minScore",
      (q) => (q.thresholds[1].minScore = Number.NaN),
      [["thresholds[1].minScore", "notFinite"]],
    ],
    [
      "C1 above the lowest total (0)",
      (q) => (q.thresholds[0].minScore = 1),
      [["thresholds[0].minScore", "lowestUnreachable"]],
    ],
    ["C1 below the lowest total is fine", (q) => (q.thresholds[0].minScore = -100), []],
    [
      "C5 above the highest total (40)",
      (q) => (q.thresholds[4].minScore = 41),
      [["thresholds[4].minScore", "highestUnreachable"]],
    ],
    ["C5 exactly the highest total is fine", (q) => (q.thresholds[4].minScore = 40), []],
  ];

  it.each(CASES)("%s", (_label, mutate, expected) => {
    const q = small();
    mutate(q);
    expect(problemsOf(q)).toEqual(expected);
  });

  it("reports several problems together, with messages", () => {
    const q = small();
    q.version = "";
    q.questions[0].code = "Q2";
    q.thresholds[1].minScore = 0;
    expect(questionnaireProblems(q)).toEqual([
      { field: "version", code: "required", message: "a version is required" },
      { field: "questions[1].code", code: "duplicate", message: "question code Q2 is used more than once" },
      {
        field: "thresholds[1].minScore",
        code: "notIncreasing",
        message: "C2's minScore 0 must be above C1's 0",
      },
    ]);
  });

  it("survives a definition with missing arrays from an untyped caller", () => {
    const q = { version: "X", title: "t" } as unknown as Questionnaire;
    expect(problemsOf(q)).toEqual([
      ["questions", "minItems"],
      ["thresholds", "missingLevel"],
      ["thresholds", "missingLevel"],
      ["thresholds", "missingLevel"],
      ["thresholds", "missingLevel"],
      ["thresholds", "missingLevel"],
    ]);
  });
});
