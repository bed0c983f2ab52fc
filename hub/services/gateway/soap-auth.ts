/**
 * WS-Security UsernameToken for the SOAP face. The credentials are checked by `access.login` itself, so that a
 * SOAP caller gets exactly the REST login's password check, lockout, session and `auth.login` audit entry. The
 * token it returns is kept in this process under an HMAC of the username and password (never the password), and
 * every later call with the same credentials is checked as a REST bearer token is (`access.authenticate`: session
 * not revoked, user enabled, not expired). A wrong password never matches a kept entry, so it always reaches
 * `access.login` and counts towards the lockout.
 */
import crypto from "node:crypto";
import { HubError } from "../../errors/hub-error";
import type { AuthenticatedUser } from "../access/access.service";
import type { Actor } from "../actor";
import { PASSWORD_DIGEST, PASSWORD_TEXT, type UsernameToken } from "./soap-xml";

type Call = <T>(action: string, params: object, meta: object) => Promise<T>;

interface LoginAnswer {
  token: string;
  user: { mustChangePassword: boolean };
}

/** Entries kept at most; the oldest goes first. A few legacy systems sign in, not thousands. */
const MAX_ENTRIES = 1000;

/** Codes after which a kept token is dropped and the credentials are checked afresh. */
const STALE_TOKEN = new Set([
  "HUB_AUTH_TOKEN_INVALID",
  "HUB_AUTH_TOKEN_REVOKED",
  "HUB_AUTH_TOKEN_EXPIRED",
  "HUB_AUTH_USER_DISABLED",
]);

/** The HUB_* code of an error, also of one that crossed the bus (rebuilt as a plain MoleculerError). */
const codeOf = (err: unknown) => String((err as { type?: unknown })?.type ?? "");

export class SoapAuthenticator {
  private readonly key = crypto.randomBytes(32);
  private readonly tokens = new Map<string, string>();
  private readonly logins = new Map<string, Promise<string>>();

  constructor(
    private readonly call: Call,
    private readonly clock: () => Date,
  ) {}

  /** The caller of a SOAP request, or HUB_AUTH_FAILED / HUB_AUTH_LOCKED / HUB_AUTH_USER_DISABLED. */
  async authenticate(token: UsernameToken | null, clientIp: string | null): Promise<Actor> {
    if (!token)
      throw new HubError(
        "HUB_AUTH_FAILED",
        "send a WS-Security UsernameToken (PasswordText) in the SOAP Header",
      );
    if (token.passwordType === PASSWORD_DIGEST)
      throw new HubError(
        "HUB_AUTH_FAILED",
        "PasswordDigest cannot be checked: the hub keeps only salted password hashes; send PasswordText over TLS",
      );
    if (token.passwordType !== PASSWORD_TEXT)
      throw new HubError("HUB_AUTH_FAILED", `unknown password type ${token.passwordType}; send PasswordText`);
    const meta = { clientIp };
    const key = crypto
      .createHmac("sha256", this.key)
      .update(`${token.username}\u0000${token.password}`)
      .digest("base64");
    const kept = this.tokens.get(key);
    if (kept) {
      try {
        return await this.actorOf(kept, meta);
      } catch (err) {
        if (!STALE_TOKEN.has(codeOf(err))) throw err;
        this.tokens.delete(key);
      }
    }
    return this.actorOf(await this.login(key, token, meta), meta);
  }

  /** One login per credentials at a time: fifty calls arriving together wait for the same one. */
  private login(key: string, token: UsernameToken, meta: object): Promise<string> {
    let pending = this.logins.get(key);
    if (!pending) {
      pending = this.call<LoginAnswer>(
        "access.login",
        { username: token.username, password: token.password },
        meta,
      )
        .then((answer) => {
          if (answer.user.mustChangePassword)
            throw new HubError(
              "HUB_AUTH_PASSWORD_CHANGE_REQUIRED",
              "change this user's password at POST /api/v1/auth/password first",
            );
          if (this.tokens.size >= MAX_ENTRIES) this.tokens.delete(this.tokens.keys().next().value!);
          this.tokens.set(key, answer.token);
          return answer.token;
        })
        .catch((err) => {
          if (codeOf(err) === "HUB_AUTH_INVALID_CREDENTIALS")
            throw new HubError("HUB_AUTH_FAILED", "wrong username or password");
          throw err;
        })
        .finally(() => this.logins.delete(key));
      this.logins.set(key, pending);
    }
    return pending;
  }

  private async actorOf(token: string, meta: object): Promise<Actor> {
    const user = await this.call<AuthenticatedUser>("access.authenticate", { token }, meta);
    if (user.exp * 1000 <= this.clock().getTime()) throw new HubError("HUB_AUTH_TOKEN_EXPIRED");
    if (user.mustChangePassword)
      throw new HubError("HUB_AUTH_PASSWORD_CHANGE_REQUIRED", "change this user's password first");
    const { exp: _exp, ...actor } = user;
    return actor;
  }
}
