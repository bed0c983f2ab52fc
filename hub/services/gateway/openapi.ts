import type { JsonSchema, SchemaRegistry } from "../../schemas";
import { PACKAGE_VERSION } from "../../paths";
import { REST_ROUTES, type RestRoute } from "./routes";

/** `rest/common#/$defs/orgCode` → `#/components/schemas/common.orgCode`; `rest/x` → `#/components/schemas/x`. */
function componentName(ref: string): string {
  const [id, pointer] = ref.split("#");
  const base = id.replace(/^rest\//, "");
  return pointer ? `${base}.${pointer.split("/").pop()}` : base;
}

function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "$id" || key === "$schema" || key === "$defs") continue;
      out[key] =
        key === "$ref" && typeof v === "string" ? `#/components/schemas/${componentName(v)}` : rewrite(v);
    }
    return out;
  }
  return value;
}

function parametersOf(schemas: SchemaRegistry, id: string | undefined, where: "query" | "path") {
  if (!id) return [];
  const schema = schemas.get(id) as JsonSchema & {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || (schema.required ?? []).includes(name),
    schema: rewrite(s),
  }));
}

const ERROR_RESPONSE = {
  description: "错误 Error (see docs/errors.md)",
  content: { "application/json": { schema: { $ref: "#/components/schemas/error" } } },
};

function operation(schemas: SchemaRegistry, route: RestRoute) {
  const op: Record<string, unknown> = {
    operationId:
      route.action.replace(".", "_") + (route.fixed ? `_${Object.values(route.fixed).join("_")}` : ""),
    summary: route.summary,
    tags: [route.tag],
    parameters: [
      ...parametersOf(schemas, route.params, "path"),
      ...parametersOf(schemas, route.query, "query"),
    ],
    responses: {
      [String(route.status ?? 200)]: {
        description: "成功 OK",
        ...(route.response
          ? {
              content: {
                "application/json": {
                  schema: { $ref: `#/components/schemas/${componentName(route.response)}` },
                },
              },
            }
          : {}),
      },
      ...(route.upload
        ? {
            "202": {
              description: "已受理 Accepted: a large file runs as a job; follow Location for its progress",
            },
          }
        : {}),
      "4XX": ERROR_RESPONSE,
      "5XX": ERROR_RESPONSE,
    },
  };
  if (route.auth) op.security = [{ bearer: [] }];
  if (route.download) {
    (op.responses as Record<string, unknown>)["200"] = {
      description: "文件 The file, as an attachment",
      content: {
        "text/csv": { schema: { type: "string" } },
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
          schema: { type: "string", format: "binary" },
        },
      },
    };
  }
  if (route.upload) {
    op.requestBody = {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["file"],
            properties: {
              file: { type: "string", format: "binary", description: "CSV (UTF-8 or GBK) or XLSX" },
            },
          },
        },
      },
    };
  }
  if (route.body) {
    op.requestBody = {
      required: !route.bodyOptional,
      content: {
        "application/json": { schema: { $ref: `#/components/schemas/${componentName(route.body)}` } },
      },
    };
  }
  return op;
}

/** OpenAPI 3.1 from the route table and the very schemas that validate requests. */
export function buildOpenApi(schemas: SchemaRegistry): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  for (const [id, schema] of schemas.schemas) {
    if (!id.startsWith("rest/")) continue;
    const name = componentName(id);
    const defs = (schema.$defs ?? {}) as Record<string, unknown>;
    for (const [defName, def] of Object.entries(defs)) components[`${name}.${defName}`] = rewrite(def);
    if (Object.keys(schema).some((k) => !["$id", "$schema", "$defs"].includes(k)))
      components[name] = rewrite(schema);
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of REST_ROUTES) {
    const key = `/api/v1${route.path}`;
    paths[key] ??= {};
    paths[key][route.method.toLowerCase()] = operation(schemas, route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "双录中台 Dual-record hub API",
      version: PACKAGE_VERSION,
      description:
        "Errors are JSON `{error:{code,message,details}}`; every code is listed in docs/errors.md.",
    },
    servers: [{ url: "/" }],
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
    paths,
  };
}
