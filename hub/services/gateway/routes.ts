/**
 * The REST surface under /api/v1, as data: the gateway builds its aliases, its request validation and the OpenAPI
 * document from this one table, so the three cannot drift apart.
 */
export interface RestRoute {
  method: "GET" | "POST" | "PATCH";
  /** OpenAPI style, relative to /api/v1: `/orgs/{code}`. */
  path: string;
  action: string;
  summary: string;
  tag:
    | "auth"
    | "orgs"
    | "users"
    | "audit"
    | "products"
    | "customers"
    | "risk"
    | "scripts"
    | "imports"
    | "recordings"
    | "retention"
    | "reconciliation"
    | "time";
  /** false only for login and the hub's clock. */
  auth: boolean;
  /** Still reachable when the user must change their password first. */
  beforePasswordChange?: boolean;
  body?: string;
  /**
   * A multipart/form-data upload of one file (any field name): the action receives the file as a stream and its
   * name and type in meta. Such a route may answer 202 with a job instead of its result.
   */
  upload?: true;
  /** The body may be left out entirely (it is then `{}`). */
  bodyOptional?: boolean;
  query?: string;
  params?: string;
  /** Fixed parameters added to the call, e.g. `{enabled: false}` for /disable. */
  fixed?: Record<string, unknown>;
  response?: string;
  status?: 200 | 201;
  /** Answered as a file download (not JSON). */
  download?: true;
}

export const REST_ROUTES: readonly RestRoute[] = [
  {
    method: "POST",
    path: "/auth/login",
    action: "access.login",
    summary: "登录 Log in",
    tag: "auth",
    auth: false,
    body: "rest/auth-login",
    response: "rest/auth-login-response",
  },
  {
    method: "GET",
    path: "/time",
    action: "gateway.time",
    summary: "服务器时间 The hub's clock, for the recorder's watermark (no token; Cache-Control: no-store)",
    tag: "time",
    auth: false,
    response: "rest/time-response",
  },
  {
    method: "GET",
    path: "/auth/me",
    action: "access.me",
    summary: "当前用户 Who am I",
    tag: "auth",
    auth: true,
    beforePasswordChange: true,
  },
  {
    method: "POST",
    path: "/auth/logout",
    action: "access.logout",
    summary: "退出 Log out (revokes the token)",
    tag: "auth",
    auth: true,
    beforePasswordChange: true,
    body: "rest/empty",
    bodyOptional: true,
  },
  {
    method: "POST",
    path: "/auth/password",
    action: "access.changePassword",
    summary: "修改密码 Change own password",
    tag: "auth",
    auth: true,
    beforePasswordChange: true,
    body: "rest/auth-change-password",
  },

  {
    method: "GET",
    path: "/orgs",
    action: "org.list",
    summary: "机构树 Org units in my scope",
    tag: "orgs",
    auth: true,
    query: "rest/org-list-query",
  },
  {
    method: "GET",
    path: "/orgs/{code}",
    action: "org.get",
    summary: "机构 One org unit",
    tag: "orgs",
    auth: true,
    params: "rest/org-code-path",
  },
  {
    method: "POST",
    path: "/orgs",
    action: "org.create",
    summary: "新增机构 Create an org unit",
    tag: "orgs",
    auth: true,
    body: "rest/org-create",
    status: 201,
  },
  {
    method: "PATCH",
    path: "/orgs/{code}",
    action: "org.rename",
    summary: "机构更名 Rename an org unit",
    tag: "orgs",
    auth: true,
    params: "rest/org-code-path",
    body: "rest/org-rename",
  },
  {
    method: "POST",
    path: "/orgs/{code}/close",
    action: "org.close",
    summary: "撤销机构 Close an org unit (never deleted)",
    tag: "orgs",
    auth: true,
    params: "rest/org-code-path",
    body: "rest/empty",
    bodyOptional: true,
  },

  {
    method: "GET",
    path: "/users",
    action: "access.listUsers",
    summary: "人员列表 Staff in my scope",
    tag: "users",
    auth: true,
    query: "rest/user-list-query",
  },
  {
    method: "GET",
    path: "/users/{username}",
    action: "access.getUser",
    summary: "人员 One staff member (audited)",
    tag: "users",
    auth: true,
    params: "rest/username-path",
  },
  {
    method: "POST",
    path: "/users",
    action: "access.createUser",
    summary: "新增人员 Create a staff member",
    tag: "users",
    auth: true,
    body: "rest/user-create",
    status: 201,
  },
  {
    method: "PATCH",
    path: "/users/{username}",
    action: "access.updateUser",
    summary: "修改人员 Update a staff member",
    tag: "users",
    auth: true,
    params: "rest/username-path",
    body: "rest/user-update",
  },
  {
    method: "POST",
    path: "/users/{username}/disable",
    action: "access.setEnabled",
    summary: "停用 Disable (revokes tokens)",
    tag: "users",
    auth: true,
    params: "rest/username-path",
    body: "rest/empty",
    bodyOptional: true,
    fixed: { enabled: false },
  },
  {
    method: "POST",
    path: "/users/{username}/enable",
    action: "access.setEnabled",
    summary: "启用 Enable",
    tag: "users",
    auth: true,
    params: "rest/username-path",
    body: "rest/empty",
    bodyOptional: true,
    fixed: { enabled: true },
  },
  {
    method: "POST",
    path: "/users/{username}/reset-password",
    action: "access.resetPassword",
    summary: "重置密码 Reset a password (forces a change at next login)",
    tag: "users",
    auth: true,
    params: "rest/username-path",
    body: "rest/user-reset-password",
    bodyOptional: true,
  },

  {
    method: "GET",
    path: "/products",
    action: "catalog.searchProducts",
    summary: "产品查询 Search products by code or name, type, risk",
    tag: "products",
    auth: true,
    query: "rest/product-search-query",
  },
  {
    method: "GET",
    path: "/products/{code}",
    action: "catalog.getProduct",
    summary: "产品 One product, with whether its sale must be recorded at an outlet",
    tag: "products",
    auth: true,
    params: "rest/product-path",
    query: "rest/product-get-query",
  },
  {
    method: "PATCH",
    path: "/products/{code}",
    action: "catalog.updateProduct",
    summary: "修改产品 Edit a product (head office; audited before/after)",
    tag: "products",
    auth: true,
    params: "rest/product-path",
    body: "rest/product-update",
  },
  {
    method: "POST",
    path: "/products/sync",
    action: "catalog.syncProducts",
    summary:
      "同步产品 Take the products changed in the systems of record (products.list) now (head office; audited)",
    tag: "products",
    auth: true,
    body: "rest/empty",
    bodyOptional: true,
  },
  {
    method: "POST",
    path: "/products/{code}/recording-overrides",
    action: "catalog.setRecordingOverride",
    summary: "是否双录 Decide for a subtree whether selling the product must be recorded",
    tag: "products",
    auth: true,
    params: "rest/product-path",
    body: "rest/recording-override",
  },
  {
    method: "POST",
    path: "/products/{code}/recording-overrides/{orgCode}/clear",
    action: "catalog.clearRecordingOverride",
    summary: "取消是否双录设置 Remove a subtree's decision (the one above applies again)",
    tag: "products",
    auth: true,
    params: "rest/product-org-path",
    body: "rest/empty",
    bodyOptional: true,
  },
  {
    method: "GET",
    path: "/retention-policies",
    action: "catalog.listRetentionPolicies",
    summary: "保存期限参数 Retention parameters per product type",
    tag: "products",
    auth: true,
  },
  {
    method: "PATCH",
    path: "/retention-policies/{productType}",
    action: "catalog.updateRetentionPolicy",
    summary: "设置保存期限 Set a product type's retention parameters (head office; audited)",
    tag: "products",
    auth: true,
    params: "rest/product-type-path",
    body: "rest/retention-policy-update",
  },
  {
    method: "GET",
    path: "/customers/lookup",
    action: "risk-lookup.lookup",
    summary: "识别客户 Find a customer by card, identity number, customer number or name (audited)",
    tag: "customers",
    auth: true,
    query: "rest/customer-lookup-query",
  },
  {
    method: "GET",
    path: "/customers/{customerNo}",
    action: "risk-lookup.get",
    summary: "客户 One customer, masked unless asked and allowed (audited)",
    tag: "customers",
    auth: true,
    params: "rest/customer-path",
    query: "rest/customer-get-query",
  },
  {
    method: "GET",
    path: "/risk/match",
    action: "risk-lookup.match",
    summary: "风险匹配 May this customer buy this product on this day (audited)",
    tag: "risk",
    auth: true,
    query: "rest/risk-match-query",
  },
  {
    method: "GET",
    path: "/questionnaires/current",
    action: "risk-lookup.currentQuestionnaire",
    summary: "风险评估问卷 The questionnaire in use",
    tag: "risk",
    auth: true,
  },
  {
    method: "POST",
    path: "/questionnaires",
    action: "risk-lookup.replaceQuestionnaire",
    summary: "更换问卷 Replace the questionnaire with a new version (head office; audited)",
    tag: "risk",
    auth: true,
    body: "rest/questionnaire",
    status: 201,
  },
  {
    method: "POST",
    path: "/risk-assessments",
    action: "risk-lookup.assessByQuestionnaire",
    summary: "问卷评估 Score the customer's answers and record the assessment (audited)",
    tag: "risk",
    auth: true,
    body: "rest/risk-assessment-questionnaire",
    status: 201,
  },
  {
    method: "POST",
    path: "/risk-assessments/scan",
    action: "risk-lookup.assessByScan",
    summary: "纸质问卷 Record the level of a scanned paper questionnaire (audited)",
    tag: "risk",
    auth: true,
    body: "rest/risk-assessment-scan",
    status: 201,
  },
  {
    method: "GET",
    path: "/scripts",
    action: "risk-lookup.saleScript",
    summary: "销售话术 The ordered steps of a sale, for the recorder",
    tag: "scripts",
    auth: true,
    query: "rest/script-query",
  },
  {
    method: "POST",
    path: "/imports/products",
    action: "imports.importProducts",
    summary: "导入产品 Import products from CSV or XLSX (head office; a branch for its subtree)",
    tag: "imports",
    auth: true,
    upload: true,
  },
  {
    method: "POST",
    path: "/imports/customers",
    action: "imports.importCustomers",
    summary: "导入客户 Import customers and their risk assessments from CSV or XLSX (head office)",
    tag: "imports",
    auth: true,
    upload: true,
  },
  {
    method: "GET",
    path: "/imports/templates/{kind}",
    action: "imports.template",
    summary: "导入模板 Download the file to fill in for an import",
    tag: "imports",
    auth: true,
    params: "rest/import-kind-path",
    query: "rest/import-template-query",
    download: true,
  },
  {
    method: "GET",
    path: "/imports/{jobId}",
    action: "imports.job",
    summary: "导入进度 An import job: progress, then counts or every error",
    tag: "imports",
    auth: true,
    params: "rest/import-job-path",
  },
  {
    method: "GET",
    path: "/risk-assessments/settings",
    action: "risk-lookup.assessmentSettings",
    summary: "评估有效期 How long a new risk assessment stays valid",
    tag: "risk",
    auth: true,
  },
  {
    method: "PATCH",
    path: "/risk-assessments/settings",
    action: "risk-lookup.updateAssessmentSettings",
    summary: "设置评估有效期 Set how long new risk assessments stay valid (head office; audited)",
    tag: "risk",
    auth: true,
    body: "rest/assessment-settings-update",
  },
  {
    method: "POST",
    path: "/recordings",
    action: "recordings.create",
    summary: "新建录音录像 Create a draft recording (a sale only when the customer may buy; audited)",
    tag: "recordings",
    auth: true,
    body: "rest/recording-create",
    status: 201,
  },
  {
    method: "GET",
    path: "/recordings",
    action: "recordings.list",
    summary: "录音录像查询 Recordings in my scope (sales staff: their own), newest first (audited)",
    tag: "recordings",
    auth: true,
    query: "rest/recording-list-query",
  },
  {
    method: "GET",
    path: "/recordings/{id}",
    action: "recordings.get",
    summary: "录音录像 One recording's metadata (audited)",
    tag: "recordings",
    auth: true,
    params: "rest/recording-path",
  },
  {
    method: "POST",
    path: "/recordings/{id}/submit",
    action: "recordings.submit",
    summary: "提交 Submit: seal the manifest into the audit chain; immutable after (creator only; audited)",
    tag: "recordings",
    auth: true,
    params: "rest/recording-path",
    body: "rest/recording-submit",
  },
  {
    method: "POST",
    path: "/recordings/aborts",
    action: "recordings.abort",
    summary:
      "中止录制 Record that a recording session was aborted, and why (audited; a named draft stays a draft)",
    tag: "recordings",
    auth: true,
    body: "rest/recording-abort",
    response: "rest/recording-abort-response",
    status: 201,
  },
  {
    method: "GET",
    path: "/audit",
    action: "audit.list",
    summary: "审计日志 Audit trail in my scope (audited)",
    tag: "audit",
    auth: true,
    query: "rest/audit-list-query",
  },
  {
    method: "GET",
    path: "/audit/verify",
    action: "audit.verify",
    summary: "校验审计链 Verify the hash chain and signed checkpoints",
    tag: "audit",
    auth: true,
  },
  {
    method: "POST",
    path: "/retention/preview",
    action: "retention.preview",
    summary:
      "保存期限试算 Retention of a sale from its facts: retainUntil, deletable as of a day, rule, explanation",
    tag: "retention",
    auth: true,
    body: "rest/retention-preview",
  },
  {
    method: "GET",
    path: "/recordings/{id}/retention",
    action: "retention.ofRecording",
    summary: "录音录像保存期限 A recording's retention, its disputes and where it is in its life",
    tag: "retention",
    auth: true,
    params: "rest/recording-path",
  },
  {
    method: "GET",
    path: "/retention/expiring",
    action: "retention.expiring",
    summary: "即将到期 Recordings reaching the end of their retention in the next 30 and 90 days, per outlet",
    tag: "retention",
    auth: true,
    query: "rest/retention-expiring-query",
  },
  {
    method: "POST",
    path: "/retention/sweep",
    action: "retention.sweep",
    summary: "保存期限清理 Run the daily sweep now (head office; idempotent)",
    tag: "retention",
    auth: true,
    body: "rest/retention-sweep",
    bodyOptional: true,
  },
  {
    method: "POST",
    path: "/redemptions",
    action: "retention.recordRedemption",
    summary:
      "登记赎回 Record a redemption (a full one starts the open-ended product's years after redemption)",
    tag: "retention",
    auth: true,
    body: "rest/redemption-create",
    status: 201,
  },
  {
    method: "POST",
    path: "/recordings/{id}/disputes",
    action: "retention.openDispute",
    summary:
      "录音录像延长（纠纷） Open a dispute: a legal hold on the recording and its sale's group (branch admin and above)",
    tag: "retention",
    auth: true,
    params: "rest/recording-path",
    body: "rest/dispute-open",
    status: 201,
  },
  {
    method: "POST",
    path: "/disputes",
    action: "retention.openHoldingDispute",
    summary: "纠纷（客户+产品） Open a dispute on every recording of a customer and product",
    tag: "retention",
    auth: true,
    body: "rest/dispute-holding-open",
    status: 201,
  },
  {
    method: "GET",
    path: "/disputes",
    action: "retention.listDisputes",
    summary: "纠纷列表 Disputes in my scope",
    tag: "retention",
    auth: true,
    query: "rest/dispute-list-query",
  },
  {
    method: "POST",
    path: "/disputes/{id}/close",
    action: "retention.closeDispute",
    summary: "纠纷结案 Close a dispute: the recordings are then kept at least N years after the close",
    tag: "retention",
    auth: true,
    params: "rest/dispute-path",
    body: "rest/dispute-close",
  },
  {
    method: "GET",
    path: "/recycle-bin",
    action: "retention.recycleBin",
    summary: "回收站 Recordings past their retention, restorable for 30 days before they are destroyed",
    tag: "retention",
    auth: true,
    query: "rest/recycle-bin-query",
  },
  {
    method: "POST",
    path: "/recycle-bin/{id}/restore",
    action: "retention.restore",
    summary:
      "恢复 Restore a recording from the bin (branch admin and above; kept out of the bin for 30 days)",
    tag: "retention",
    auth: true,
    params: "rest/recording-path",
    body: "rest/recycle-restore",
  },
  {
    method: "GET",
    path: "/reconciliation",
    action: "legacy-face.reconciliation",
    summary:
      "对账 Purchases notified by the counter against recordings, per outlet and teller, on a day (in my scope)",
    tag: "reconciliation",
    auth: true,
    query: "rest/reconciliation-query",
  },
  {
    method: "GET",
    path: "/plugins",
    action: "legacy-face.plugins",
    summary:
      "外部系统 The bank systems' adapters: settings (secrets hidden), health, circuit and capability order (总行)",
    tag: "reconciliation",
    auth: true,
  },
];

/** `/orgs/{code}` → `/orgs/:code` for moleculer-web. */
export function aliasPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

/** Lookup key for a route; moleculer-web strips the slashes around alias paths, so this does too. */
export function routeKey(method: string, aliasedPath: string): string {
  return `${method} ${aliasedPath.replace(/^\/+|\/+$/g, "")}`;
}
