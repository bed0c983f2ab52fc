/**
 * The element's own login, shown when the host passes no `token`. The token it gets lives only in memory (and in
 * sessionStorage for this tab, so a reload during a long upload does not log the user out).
 */
import { html, type TemplateResult } from "lit";
import { t, type Lang } from "./i18n";
import { HubError, type HubClient } from "./hub-client";

const KEY = "dual-record.token";

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage disabled by policy: the token stays in memory only */
  }
}

export function loginForm(
  lang: Lang,
  client: HubClient,
  onToken: (token: string) => void,
  error: string | null,
  onError: (message: string) => void,
): TemplateResult {
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    try {
      const { token } = await client.login(
        String(data.get("username") ?? ""),
        String(data.get("password") ?? ""),
      );
      storeToken(token);
      onToken(token);
    } catch (err) {
      onError(err instanceof HubError ? err.message : String(err));
    }
  };
  return html`<form part="login" @submit=${submit}>
    <h2>${t(lang, "login.title")}</h2>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <div class="row">
      <label>${t(lang, "login.username")} <input name="username" autocomplete="username" required /></label>
      <label
        >${t(lang, "login.password")}
        <input name="password" type="password" autocomplete="current-password" required
      /></label>
      <button class="primary" type="submit">${t(lang, "login.submit")}</button>
    </div>
  </form>`;
}
