import { LegacyFaultError } from "./errors";
import { text } from "./values";

/**
 * Bank ESB services answer business errors inside a normal response (`RetCode`/`RetMsg`) rather than as SOAP
 * Faults. Throws LegacyFaultError with the return code as `faultCode` unless the code is one of `ok`.
 */
export function checkReturnCode(
  answer: Readonly<Record<string, unknown>>,
  options: { codeField?: string; messageField?: string; ok?: readonly string[] } = {},
): void {
  const code = text(answer[options.codeField ?? "RetCode"]);
  const ok = options.ok ?? ["000000"];
  if (code !== null && ok.includes(code)) return;
  const message = text(answer[options.messageField ?? "RetMsg"]) ?? "no message";
  throw new LegacyFaultError(`return code ${code ?? "(none)"}: ${message}`, {
    faultCode: code ?? "NO_RETURN_CODE",
  });
}
