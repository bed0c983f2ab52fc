import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import serveStatic from "serve-static";
import type { HubConfig } from "../../config";
import { SERVICE_NAMES } from "../../config";
import { HubError, ValidationError, type FieldProblem } from "../../errors/hub-error";
import { WIDGETS_DIR } from "../../paths";
import { toFieldProblems, type SchemaRegistry } from "../../schemas";
import type { AuthenticatedUser } from "../access/access.service";
import type { Actor, HubMeta } from "../actor";
import type { EvidenceStore } from "../../storage";
import type { KeyRing } from "../../storage/data-keys";
import { createEvidenceEndpoints } from "./evidence-endpoints";
import { preferredLanguage, toErrorResponse } from "./http-errors";
import { buildOpenApi } from "./openapi";
import { renderPrometheus, type HubMetrics, type MetricFamily } from "../../metrics/metrics";
import { corsMiddleware } from "./cors";
import { createSoapEndpoint } from "./soap-endpoint";
import { aliasPath, REST_ROUTES, routeKey, type RestRoute } from "./routes";

type Req = IncomingMessage & {
  $params: { body?: unknown; query?: Record<string, unknown>; params?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  $ctx: Context<unknown, HubMeta>;
  $route?: { path: string };
  $alias?: { method: string; path: string; fullPath: string };
  body?: unknown;
};

/** moleculer-web has already logged a 5xx with its stack; the client gets only the code and message. */
function sendError(req: IncomingMessage, res: ServerResponse, err: unknown) {
  const { status, body } = toErrorResponse(err, preferredLanguage(req));
  if (res.headersSent) return res.end();
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function clientIp(req: IncomingMessage, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = String(req.headers["x-forwarded-for"] ?? "")
      .split(",")[0]
      .trim();
    if (forwarded) return forwarded;
  }
  return req.socket.remoteAddress ?? null;
}

function isJson(req: IncomingMessage): boolean {
  return /^application\/([\w.+-]+\+)?json\b/i.test(String(req.headers["content-type"] ?? ""));
}

function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
}

export interface GatewayOptions {
  config: HubConfig;
  schemas: SchemaRegistry;
  metrics: HubMetrics;
  clock: () => Date;
  /** The evidence store and the master key: uploads and playback are served from this process. */
  evidence: { store: EvidenceStore; keyRing: KeyRing };
}

/**
 * HTTP face of the hub: REST under /api/v1 (validated against schemas/, authenticated, errors in one shape),
 * OpenAPI, health, metrics, and the widget and demo files.
 */
export function createGatewayService({
  config,
  schemas,
  metrics,
  clock,
  evidence,
}: GatewayOptions): ServiceSchema {
  const routesByKey = new Map<string, RestRoute>();
  const aliases: Record<string, string> = {};
  const uploadAliases: Record<string, string> = {};
  for (const route of REST_ROUTES) {
    const aliased = aliasPath(route.path);
    routesByKey.set(routeKey(route.method, aliased), route);
    if (route.upload) uploadAliases[`${route.method} ${aliased}`] = `multipart:${route.action}`;
    else aliases[`${route.method} ${aliased}`] = route.action;
  }
  const openApi = buildOpenApi(schemas);
  const requiredServices = SERVICE_NAMES.filter((s) => s !== "gateway");

  function validate(
    part: string,
    schemaId: string | undefined,
    value: unknown,
    coerce: boolean,
  ): FieldProblem[] {
    if (!schemaId) {
      const empty =
        value === undefined || (typeof value === "object" && value !== null && !Object.keys(value).length);
      return empty
        ? []
        : [{ field: part, code: "additionalProperties", message: "this route takes no " + part }];
    }
    const check = schemas.validator(schemaId, coerce);
    return check(value) ? [] : toFieldProblems(part, check.errors);
  }

  function bearerToken(req: IncomingMessage): string {
    const header = String(req.headers.authorization ?? "");
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new HubError("HUB_AUTH_REQUIRED", "send Authorization: Bearer <token>");
    return match[1];
  }

  /** A token's user, checked for expiry and for a password that must be changed first; `exp` in epoch seconds. */
  async function authenticateToken(
    call: <T>(action: string, params: object) => Promise<T>,
    token: string,
    beforePasswordChange: boolean,
  ): Promise<{ actor: Actor; exp: number }> {
    const user = await call<AuthenticatedUser>("access.authenticate", { token });
    if (user.exp * 1000 <= clock().getTime()) throw new HubError("HUB_AUTH_TOKEN_EXPIRED");
    if (user.mustChangePassword && !beforePasswordChange) {
      throw new HubError(
        "HUB_AUTH_PASSWORD_CHANGE_REQUIRED",
        "change the password at POST /api/v1/auth/password first",
      );
    }
    const { exp, ...actor } = user;
    return { actor, exp };
  }

  /** The bearer token's user. */
  async function authenticate(
    call: <T>(action: string, params: object) => Promise<T>,
    req: IncomingMessage,
    beforePasswordChange: boolean,
  ): Promise<Actor> {
    return (await authenticateToken(call, bearerToken(req), beforePasswordChange)).actor;
  }

  let brokerRef: ServiceBroker | null = null;
  const endpoints = createEvidenceEndpoints({
    config,
    store: evidence.store,
    keyRing: evidence.keyRing,
    metrics,
    clock,
    broker: () => brokerRef!,
    async authenticate(req, ticketToken) {
      // A playback ticket's token stands in for the header; it is checked exactly as the header's would be.
      const token = ticketToken ?? bearerToken(req);
      const { actor: user, exp } = await authenticateToken((a, p) => brokerRef!.call(a, p), token, false);
      return { user, meta: { user, clientIp: clientIp(req, config.trustProxy) }, token, exp };
    },
  });

  const soap = createSoapEndpoint({
    config,
    schemas,
    clock,
    broker: () => brokerRef!,
    clientIp: (req) => clientIp(req, config.trustProxy),
  });

  /** Authenticates, checks the request against the route's schemas and hands the action one flat params object. */
  async function prepareCall(
    this: { logger: { warn: (...a: unknown[]) => void } },
    ctx: Context<unknown, HubMeta>,
    _route: unknown,
    req: Req,
  ) {
    const spec = req.$alias ? routesByKey.get(routeKey(req.$alias.method, req.$alias.path)) : undefined;
    if (!spec) throw new HubError("HUB_NOT_FOUND");
    ctx.meta.clientIp = clientIp(req, config.trustProxy);

    if (spec.auth) {
      ctx.meta.user = await authenticate((a, p) => ctx.call(a, p), req, spec.beforePasswordChange === true);
    }

    let body = req.$params.body;
    if (spec.upload) {
      // The file is streamed to the action after this hook; only its envelope is checked here.
      if (!/^multipart\/form-data\b/i.test(String(req.headers["content-type"] ?? ""))) {
        throw new HubError("HUB_UNSUPPORTED_MEDIA_TYPE", "send the file as multipart/form-data");
      }
      body = undefined;
    } else if (spec.body) {
      if (hasBody(req) && !isJson(req)) throw new HubError("HUB_UNSUPPORTED_MEDIA_TYPE");
      if (body === undefined && spec.bodyOptional) body = {};
      if (body === undefined)
        throw new ValidationError([{ field: "body", code: "required", message: "a JSON body is required" }]);
    } else if (hasBody(req)) {
      throw new ValidationError([
        { field: "body", code: "additionalProperties", message: "this route takes no body" },
      ]);
    }
    const query = { ...(req.$params.query ?? {}) };
    const params = { ...(req.$params.params ?? {}) };
    const problems = [
      ...validate("params", spec.params, params, true),
      ...validate("query", spec.query, query, true),
      ...(spec.body ? validate("body", spec.body, body, false) : []),
    ];
    if (problems.length) {
      this.logger.warn("rejected request", req.method, req.url, problems);
      throw new ValidationError(problems);
    }
    req.$params = { ...(body as object), ...query, ...params, ...(spec.fixed ?? {}) };
  }

  function finishCall(
    ctx: Context<unknown, HubMeta & { $statusCode?: number }>,
    _route: unknown,
    req: Req,
    _res: ServerResponse,
    data: unknown,
  ) {
    const spec = req.$alias ? routesByKey.get(routeKey(req.$alias.method, req.$alias.path)) : undefined;
    if (spec?.status) ctx.meta.$statusCode = spec.status;
    return data;
  }

  const onError = (req: IncomingMessage, res: ServerResponse, err: unknown) => sendError(req, res, err);

  const widgetsDist = path.join(WIDGETS_DIR, "recorder-element", "dist");
  const demoDir = path.join(WIDGETS_DIR, "demo");
  const viewDir = path.join(WIDGETS_DIR, "view");

  return {
    name: "gateway",
    mixins: [ApiGateway],
    settings: {
      // Host pages on another server (a teller system's own web server) call the hub from the browser.
      use: [corsMiddleware(config.corsOrigins)],
      port: config.port,
      ip: config.host,
      log4XXResponses: false,
      logRequest: "debug",
      logResponse: "debug",
      onError,
      routes: [
        {
          // tus 1.0 uploads of recordings (before "rest": a route is chosen by the first matching path).
          name: "tus-uploads",
          path: "/api/v1/uploads",
          use: [endpoints.uploads],
          mappingPolicy: "restrict",
          aliases: {},
          bodyParsers: { json: false, urlencoded: false },
          onError,
        },
        {
          // Playback (HTTP Range) and evidence packages: bytes straight from the store, never over the bus.
          name: "recording-streams",
          path: "/api/v1/recordings",
          use: [endpoints.recordingStreams],
          mappingPolicy: "restrict",
          aliases: {},
          bodyParsers: { json: false, urlencoded: false },
          onError,
        },
        {
          // The SOAP face for legacy systems (docs/soap.md): WSDL and envelopes, read by the endpoint itself.
          name: "soap",
          path: "/soap",
          use: [soap.middleware],
          mappingPolicy: "restrict",
          aliases: {},
          bodyParsers: { json: false, urlencoded: false },
          onError,
        },
        {
          // Named, because moleculer-web takes two unnamed routes of one path for the same route.
          name: "rest",
          path: "/api/v1",
          mappingPolicy: "restrict",
          mergeParams: false,
          autoAliases: false,
          aliases,
          bodyParsers: { json: { strict: true, limit: config.jsonLimitBytes }, urlencoded: false },
          onBeforeCall: prepareCall,
          onAfterCall: finishCall,
          onError,
          callOptions: { timeout: 30_000 },
        },
        {
          // File uploads: streamed to the action as they arrive, over a slow branch link if need be.
          name: "uploads",
          path: "/api/v1",
          mappingPolicy: "restrict",
          mergeParams: false,
          autoAliases: false,
          aliases: uploadAliases,
          bodyParsers: { json: false, urlencoded: false },
          busboyConfig: { limits: { files: 1, fileSize: config.importMaxBytes } },
          onBeforeCall: prepareCall,
          onAfterCall: finishCall,
          onError,
          callOptions: { timeout: 30 * 60_000 },
        },
        {
          path: "/widgets",
          use: [serveStatic(widgetsDist, { index: false })],
          mappingPolicy: "restrict",
          aliases: {},
          onError,
        },
        { path: "/demo", use: [serveStatic(demoDir)], mappingPolicy: "restrict", aliases: {}, onError },
        // Pages the bank's systems link to (a CRM timeline entry opens /view/recording.html?id=…).
        { path: "/view", use: [serveStatic(viewDir)], mappingPolicy: "restrict", aliases: {}, onError },
        {
          path: "/",
          mappingPolicy: "restrict",
          aliases: {
            "GET /api/v1/openapi.json": "gateway.openapi",
            "GET /health/live": "gateway.live",
            "GET /health/ready": "gateway.ready",
            "GET /metrics": "gateway.metrics",
            "GET /"(_req: IncomingMessage, res: ServerResponse) {
              res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
              fs.createReadStream(path.join(demoDir, "index.html")).pipe(res);
            },
          },
          bodyParsers: { json: false, urlencoded: false },
          onBeforeCall(ctx: Context<unknown, HubMeta>, _route: unknown, req: IncomingMessage) {
            ctx.meta.clientIp = clientIp(req, config.trustProxy);
          },
          onError,
        },
      ],
    },
    created() {
      brokerRef = this.broker;
    },
    started() {
      // Counted when the response is done, whatever answered it (an action, static files, an error).
      const server = (this as unknown as { server: import("node:http").Server }).server;
      server.on("request", (req: Req, res: ServerResponse) => {
        const started = process.hrtime.bigint();
        res.once("finish", () => {
          const route = req.$alias
            ? `${req.$alias.method} ${req.$alias.fullPath}`
            : req.$route
              ? `${req.$route.path}/*`
              : "unmatched";
          metrics.httpRequests.inc({ method: req.method ?? "", route, status: String(res.statusCode) });
          metrics.httpDuration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
        });
      });
    },
    actions: {
      openapi: {
        handler() {
          return openApi;
        },
      },
      live: {
        handler() {
          return { status: "live" };
        },
      },
      /**
       * The hub's clock (GET /api/v1/time, no token, not audited: it is polled), so that a browser can measure its
       * offset and burn the hub's time into the watermark. Answered by the gateway itself, never across the bus, so
       * that the round trip a client measures is only its own; one reading gives both forms.
       */
      time: {
        handler(ctx: Context<unknown, { $responseHeaders?: Record<string, string> }>) {
          const now = clock();
          ctx.meta.$responseHeaders = { "Cache-Control": "no-store" };
          return { now: now.toISOString(), epochMs: now.getTime() };
        },
      },
      /** Ready when every service this hub needs answers its health check (database and migrations included). */
      ready: {
        async handler(ctx: Context) {
          const checks: Record<string, string> = {};
          await Promise.all(
            requiredServices.map(async (name) => {
              try {
                await ctx.call(`${name}.health`, {}, { timeout: 3000, retries: 0 });
                checks[name] = "ok";
              } catch (err) {
                checks[name] = (err as Error).message;
              }
            }),
          );
          const ready = Object.values(checks).every((v) => v === "ok");
          if (!ready) throw new HubError("HUB_SERVICE_UNAVAILABLE", "not ready", { checks });
          return { status: "ready", checks };
        },
      },
      /** Prometheus text for every node of the cluster, each sample labelled with its node. */
      metrics: {
        async handler(ctx: Context<unknown, { $responseType?: string }>) {
          const nodes = (
            this.broker.registry.getServiceList({ onlyAvailable: true }) as Array<{
              name: string;
              nodeID: string;
            }>
          )
            .filter((s) => s.name === "metrics")
            .map((s) => s.nodeID);
          const snapshots = await Promise.all(
            nodes.map((nodeID) =>
              ctx
                .call<{ node: string; families: MetricFamily[] }, Record<string, never>>(
                  "metrics.snapshot",
                  {},
                  { nodeID, timeout: 3000 },
                )
                .catch(() => null),
            ),
          );
          ctx.meta.$responseType = "text/plain; version=0.0.4; charset=utf-8";
          return renderPrometheus(snapshots.filter((s) => s !== null));
        },
      },
    },
  };
}
