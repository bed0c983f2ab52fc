/**
 * Prints the one plain line CI reads, from Jest's real counts: `tests: N passed, N failed[, N skipped]`.
 * Suites that failed to run at all count as failed tests, so a broken file can never look green.
 */
class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line =
      `tests: ${results.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");
    // After Jest's own summary, so that it is the last line of the run.
    process.once("exit", () => process.stdout.write(`\n${line}\n`));
  }
}
module.exports = ClosingLineReporter;
