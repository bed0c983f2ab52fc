import { browserProblem } from "./browser";

/**
 * `describe` for suites that drive Chromium. Where Chromium, ffmpeg or ffprobe is missing the suite is skipped
 * with the reason printed; under CI=true it runs and fails on that reason instead (as the PostgreSQL and NATS
 * suites do, test/support/probe-services.js).
 */
export function describeBrowser(name: string, body: () => void): void {
  const problem = browserProblem();
  if (!problem) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has Chromium, ffmpeg and ffprobe", () => {
        throw new Error(`CI=true and the browser tests cannot run: ${problem}`);
      });
    });
    return;
  }
  process.stdout.write(`\n${name}: skipped on this machine, ${problem}.\n`);
  describe.skip(name, body);
}
