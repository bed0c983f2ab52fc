/**
 * Password and login-lockout rules (pure). Defaults follow the bank's requirement: at least 8 characters from at
 * least 3 character classes, not one of the last 5, expiry after 90 days, lock for 15 minutes after 5 failures.
 */

export interface PasswordProblem {
  code: "TOO_SHORT" | "TOO_LONG" | "TOO_FEW_CLASSES" | "CONTAINS_USERNAME" | "REUSED";
  message: string;
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
export const PASSWORD_MIN_CLASSES = 3;
export const PASSWORD_HISTORY_SIZE = 5;

export function characterClasses(password: string): number {
  let classes = 0;
  if (/[a-z]/.test(password)) classes++;
  if (/[A-Z]/.test(password)) classes++;
  if (/[0-9]/.test(password)) classes++;
  if (/[^a-zA-Z0-9]/.test(password)) classes++;
  return classes;
}

/** Strength problems of a new password; reuse is checked separately because it needs the stored hashes. */
export function passwordProblems(password: string, username: string): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    problems.push({ code: "TOO_SHORT", message: `must be at least ${PASSWORD_MIN_LENGTH} characters` });
  }
  if (length > PASSWORD_MAX_LENGTH) {
    problems.push({ code: "TOO_LONG", message: `must be at most ${PASSWORD_MAX_LENGTH} characters` });
  }
  if (characterClasses(password) < PASSWORD_MIN_CLASSES) {
    problems.push({
      code: "TOO_FEW_CLASSES",
      message: `must mix at least ${PASSWORD_MIN_CLASSES} of: lower case, upper case, digits, symbols`,
    });
  }
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) {
    problems.push({ code: "CONTAINS_USERNAME", message: "must not contain the username" });
  }
  return problems;
}

/** The hashes a new password must differ from: the current one and the previous ones, last 5 in all. */
export function recentHashes(current: string, history: readonly string[]): string[] {
  return [current, ...history].slice(0, PASSWORD_HISTORY_SIZE);
}

/** History to store after a change: the old current hash first, trimmed so that current + history = 5. */
export function nextHistory(oldCurrent: string, history: readonly string[]): string[] {
  return [oldCurrent, ...history].slice(0, PASSWORD_HISTORY_SIZE - 1);
}

const DAY_MS = 86_400_000;

export function isPasswordExpired(changedAt: Date, now: Date, maxAgeDays: number): boolean {
  return now.getTime() - changedAt.getTime() >= maxAgeDays * DAY_MS;
}

export interface LockoutPolicy {
  threshold: number;
  minutes: number;
}

export interface LockoutState {
  failedAttempts: number;
  lockedUntil: Date | null;
}

export function isLocked(state: LockoutState, now: Date): boolean {
  return state.lockedUntil !== null && state.lockedUntil.getTime() > now.getTime();
}

/** After a wrong password: count it; the failure that reaches the threshold locks the account. */
export function afterFailedLogin(state: LockoutState, now: Date, policy: LockoutPolicy): LockoutState {
  // A lock that has run out starts a fresh count.
  const previous = state.lockedUntil !== null && !isLocked(state, now) ? 0 : state.failedAttempts;
  const failedAttempts = previous + 1;
  if (failedAttempts >= policy.threshold) {
    return { failedAttempts, lockedUntil: new Date(now.getTime() + policy.minutes * 60_000) };
  }
  return { failedAttempts, lockedUntil: null };
}

export function afterSuccessfulLogin(): LockoutState {
  return { failedAttempts: 0, lockedUntil: null };
}
