import { EntitySchema } from "typeorm";

/*
 * Entities as EntitySchema (no decorators, no reflect metadata emitted by the compiler).
 * Timestamps are stored as ISO-8601 UTC strings with milliseconds: identical on SQLite, PostgreSQL and Oracle,
 * sortable as text, and hashed byte-for-byte by the audit chain.
 */

export const ORG_KINDS = ["hq", "branch", "sub_branch", "outlet"] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

export interface OrgUnitRow {
  code: string;
  name: string;
  kind: OrgKind;
  parentCode: string | null;
  path: string;
  status: "open" | "closed";
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export const OrgUnitEntity = new EntitySchema<OrgUnitRow>({
  name: "OrgUnit",
  tableName: "org_units",
  columns: {
    code: { type: "varchar", length: 12, primary: true },
    name: { type: "varchar", length: 100 },
    kind: { type: "varchar", length: 16 },
    parentCode: { name: "parent_code", type: "varchar", length: 12, nullable: true },
    path: { type: "varchar", length: 200 },
    status: { type: "varchar", length: 8 },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    updatedAt: { name: "updated_at", type: "varchar", length: 30 },
    closedAt: { name: "closed_at", type: "varchar", length: 30, nullable: true },
  },
});

export interface UserRow {
  username: string;
  displayName: string;
  role: string;
  orgCode: string;
  employeeNo: string | null;
  enabled: boolean;
  passwordHash: string;
  /** JSON array of the previous password hashes, newest first (the current one is passwordHash). */
  passwordHistory: string;
  passwordChangedAt: string;
  mustChangePassword: boolean;
  failedAttempts: number;
  lockedUntil: string | null;
  /** 销售资格: certificate number and last valid day; an expired one blocks selling. */
  qualificationCertNo: string | null;
  qualificationValidUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export const UserEntity = new EntitySchema<UserRow>({
  name: "User",
  tableName: "users",
  columns: {
    username: { type: "varchar", length: 64, primary: true },
    displayName: { name: "display_name", type: "varchar", length: 100 },
    role: { type: "varchar", length: 20 },
    orgCode: { name: "org_code", type: "varchar", length: 12 },
    employeeNo: { name: "employee_no", type: "varchar", length: 32, nullable: true },
    enabled: { type: "boolean" },
    passwordHash: { name: "password_hash", type: "varchar", length: 255 },
    passwordHistory: { name: "password_history", type: "varchar", length: 2000 },
    passwordChangedAt: { name: "password_changed_at", type: "varchar", length: 30 },
    mustChangePassword: { name: "must_change_password", type: "boolean" },
    failedAttempts: { name: "failed_attempts", type: "int" },
    lockedUntil: { name: "locked_until", type: "varchar", length: 30, nullable: true },
    qualificationCertNo: { name: "qualification_cert_no", type: "varchar", length: 64, nullable: true },
    qualificationValidUntil: {
      name: "qualification_valid_until",
      type: "varchar",
      length: 10,
      nullable: true,
    },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    updatedAt: { name: "updated_at", type: "varchar", length: 30 },
  },
});

export interface SessionRow {
  id: string;
  username: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  clientIp: string | null;
}

export const SessionEntity = new EntitySchema<SessionRow>({
  name: "Session",
  tableName: "sessions",
  columns: {
    id: { type: "varchar", length: 36, primary: true },
    username: { type: "varchar", length: 64 },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    expiresAt: { name: "expires_at", type: "varchar", length: 30 },
    revokedAt: { name: "revoked_at", type: "varchar", length: 30, nullable: true },
    clientIp: { name: "client_ip", type: "varchar", length: 64, nullable: true },
  },
});

export interface AuditEntryRow {
  seq: string | number;
  at: string;
  kind: string;
  actor: string | null;
  role: string | null;
  org: string | null;
  action: string;
  target: string | null;
  result: string;
  ip: string | null;
  /** Canonical JSON text, exactly as hashed. */
  details: string | null;
  prevHash: string;
  hash: string;
}

export const AuditEntryEntity = new EntitySchema<AuditEntryRow>({
  name: "AuditEntry",
  tableName: "audit_entries",
  columns: {
    seq: { type: "bigint", primary: true },
    at: { type: "varchar", length: 30 },
    kind: { type: "varchar", length: 16 },
    actor: { type: "varchar", length: 64, nullable: true },
    role: { type: "varchar", length: 20, nullable: true },
    org: { type: "varchar", length: 12, nullable: true },
    action: { type: "varchar", length: 64 },
    target: { type: "varchar", length: 200, nullable: true },
    result: { type: "varchar", length: 8 },
    ip: { type: "varchar", length: 64, nullable: true },
    details: { type: "text", nullable: true },
    prevHash: { name: "prev_hash", type: "varchar", length: 64 },
    hash: { type: "varchar", length: 64 },
  },
});

export interface AuditCheckpointRow {
  seq: string | number;
  hash: string;
  at: string;
  keyId: string;
  signature: string;
}

export const AuditCheckpointEntity = new EntitySchema<AuditCheckpointRow>({
  name: "AuditCheckpoint",
  tableName: "audit_checkpoints",
  columns: {
    seq: { type: "bigint", primary: true },
    hash: { type: "varchar", length: 64 },
    at: { type: "varchar", length: 30 },
    keyId: { name: "key_id", type: "varchar", length: 32 },
    signature: { type: "varchar", length: 200 },
  },
});

/** One row (id = 1) holding the chain head; appenders lock it so that nodes of a cluster extend one chain. */
export interface AuditHeadRow {
  id: number;
  seq: string | number;
  hash: string;
}

export const AuditHeadEntity = new EntitySchema<AuditHeadRow>({
  name: "AuditHead",
  tableName: "audit_head",
  columns: {
    id: { type: "int", primary: true },
    seq: { type: "bigint" },
    hash: { type: "varchar", length: 64 },
  },
});

export interface ProductRow {
  code: string;
  name: string;
  type: string;
  risk: string;
  issuer: string | null;
  inceptionDate: string | null;
  /** Empty for an open-ended product. */
  maturityDate: string | null;
  termMonths: number | null;
  /** null: the product type's default applies. */
  recordingRequired: boolean | null;
  features: string | null;
  risks: string | null;
  customerRights: string | null;
  createdAt: string;
  updatedAt: string;
}

const day = (name: string) => ({ name, type: "varchar" as const, length: 10, nullable: true });

export const ProductEntity = new EntitySchema<ProductRow>({
  name: "Product",
  tableName: "products",
  columns: {
    code: { type: "varchar", length: 32, primary: true },
    name: { type: "varchar", length: 100 },
    type: { type: "varchar", length: 16 },
    risk: { type: "varchar", length: 2 },
    issuer: { type: "varchar", length: 100, nullable: true },
    inceptionDate: day("inception_date"),
    maturityDate: day("maturity_date"),
    termMonths: { name: "term_months", type: "int", nullable: true },
    recordingRequired: { name: "recording_required", type: "boolean", nullable: true },
    features: { type: "text", nullable: true },
    risks: { type: "text", nullable: true },
    customerRights: { name: "customer_rights", type: "text", nullable: true },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    updatedAt: { name: "updated_at", type: "varchar", length: 30 },
  },
});

export interface RecordingOverrideRow {
  productCode: string;
  orgCode: string;
  required: boolean;
  setBy: string;
  setAt: string;
}

export const RecordingOverrideEntity = new EntitySchema<RecordingOverrideRow>({
  name: "RecordingOverride",
  tableName: "recording_overrides",
  columns: {
    productCode: { name: "product_code", type: "varchar", length: 32, primary: true },
    orgCode: { name: "org_code", type: "varchar", length: 12, primary: true },
    required: { type: "boolean" },
    setBy: { name: "set_by", type: "varchar", length: 64 },
    setAt: { name: "set_at", type: "varchar", length: 30 },
  },
});

export interface CustomerRow {
  customerNo: string;
  name: string;
  idType: string;
  /** Encrypted (FieldCipher); found through idNumberIndex. */
  idNumberEnc: string;
  idNumberIndex: string;
  phoneEnc: string | null;
  birthDate: string | null;
  createdAt: string;
  updatedAt: string;
}

export const CustomerEntity = new EntitySchema<CustomerRow>({
  name: "Customer",
  tableName: "customers",
  columns: {
    customerNo: { name: "customer_no", type: "varchar", length: 32, primary: true },
    name: { type: "varchar", length: 50 },
    idType: { name: "id_type", type: "varchar", length: 16 },
    idNumberEnc: { name: "id_number_enc", type: "varchar", length: 200 },
    idNumberIndex: { name: "id_number_index", type: "varchar", length: 64 },
    phoneEnc: { name: "phone_enc", type: "varchar", length: 200, nullable: true },
    birthDate: day("birth_date"),
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    updatedAt: { name: "updated_at", type: "varchar", length: 30 },
  },
});

export interface CustomerCardRow {
  cardIndex: string;
  customerNo: string;
  last4: string;
  createdAt: string;
}

export const CustomerCardEntity = new EntitySchema<CustomerCardRow>({
  name: "CustomerCard",
  tableName: "customer_cards",
  columns: {
    cardIndex: { name: "card_index", type: "varchar", length: 64, primary: true },
    customerNo: { name: "customer_no", type: "varchar", length: 32 },
    last4: { type: "varchar", length: 4 },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
  },
});

export interface RiskAssessmentRow {
  id: string;
  customerNo: string;
  level: string;
  assessedAt: string;
  validUntil: string;
  source: string;
  questionnaireVersion: string | null;
  score: number | null;
  evidenceRef: string | null;
  recordedBy: string | null;
  recordedAt: string;
}

export const RiskAssessmentEntity = new EntitySchema<RiskAssessmentRow>({
  name: "RiskAssessment",
  tableName: "risk_assessments",
  columns: {
    id: { type: "varchar", length: 36, primary: true },
    customerNo: { name: "customer_no", type: "varchar", length: 32 },
    level: { type: "varchar", length: 2 },
    assessedAt: { name: "assessed_at", type: "varchar", length: 10 },
    validUntil: { name: "valid_until", type: "varchar", length: 10 },
    source: { type: "varchar", length: 16 },
    questionnaireVersion: { name: "questionnaire_version", type: "varchar", length: 32, nullable: true },
    score: { type: "int", nullable: true },
    evidenceRef: { name: "evidence_ref", type: "varchar", length: 200, nullable: true },
    recordedBy: { name: "recorded_by", type: "varchar", length: 64, nullable: true },
    recordedAt: { name: "recorded_at", type: "varchar", length: 30 },
  },
});

export interface QuestionnaireRow {
  version: string;
  /** The definition as JSON. */
  definition: string;
  active: boolean;
  createdBy: string | null;
  createdAt: string;
}

export const QuestionnaireEntity = new EntitySchema<QuestionnaireRow>({
  name: "Questionnaire",
  tableName: "questionnaires",
  columns: {
    version: { type: "varchar", length: 32, primary: true },
    definition: { type: "text" },
    active: { type: "boolean" },
    createdBy: { name: "created_by", type: "varchar", length: 64, nullable: true },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
  },
});

export interface RetentionPolicyRow {
  productType: string;
  /** The parameters as JSON. */
  parameters: string;
  updatedBy: string | null;
  updatedAt: string;
}

export const RetentionPolicyEntity = new EntitySchema<RetentionPolicyRow>({
  name: "RetentionPolicy",
  tableName: "retention_policies",
  columns: {
    productType: { name: "product_type", type: "varchar", length: 16, primary: true },
    parameters: { type: "varchar", length: 1000 },
    updatedBy: { name: "updated_by", type: "varchar", length: 64, nullable: true },
    updatedAt: { name: "updated_at", type: "varchar", length: 30 },
  },
});

export interface SettingRow {
  name: string;
  value: string;
  updatedBy: string | null;
  updatedAt: string;
}

export const SettingEntity = new EntitySchema<SettingRow>({
  name: "Setting",
  tableName: "settings",
  columns: {
    name: { type: "varchar", length: 64, primary: true },
    value: { type: "varchar", length: 1000 },
    updatedBy: { name: "updated_by", type: "varchar", length: 64, nullable: true },
    updatedAt: { name: "updated_at", type: "varchar", length: 30 },
  },
});

/** queued → reading → writing → done, or invalid (the file's errors, nothing imported) or failed (our fault). */
export type ImportJobStatus = "queued" | "reading" | "writing" | "done" | "invalid" | "failed";

export interface ImportJobRow {
  id: string;
  kind: string;
  status: ImportJobStatus;
  fileName: string | null;
  contentType: string | null;
  sizeBytes: number | null;
  /** The importer's org unit when the job was made. */
  orgCode: string | null;
  totalRows: number | null;
  processedRows: number;
  /** JSON: the counts, or every row error. */
  result: string | null;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export const ImportJobEntity = new EntitySchema<ImportJobRow>({
  name: "ImportJob",
  tableName: "import_jobs",
  columns: {
    id: { type: "varchar", length: 36, primary: true },
    kind: { type: "varchar", length: 16 },
    status: { type: "varchar", length: 16 },
    fileName: { name: "file_name", type: "varchar", length: 200, nullable: true },
    contentType: { name: "content_type", type: "varchar", length: 100, nullable: true },
    sizeBytes: { name: "size_bytes", type: "bigint", nullable: true },
    orgCode: { name: "org_code", type: "varchar", length: 12, nullable: true },
    totalRows: { name: "total_rows", type: "int", nullable: true },
    processedRows: { name: "processed_rows", type: "int" },
    result: { type: "text", nullable: true },
    createdBy: { name: "created_by", type: "varchar", length: 64 },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    finishedAt: { name: "finished_at", type: "varchar", length: 30, nullable: true },
  },
});

/** Big integers come back as text from PostgreSQL and Oracle: read them through Number(). */
type BigIntColumn = string | number | null;

export interface RecordingRow {
  /** 32 lowercase hex digits. */
  id: string;
  kind: string;
  status: string;
  customerNo: string;
  productCode: string;
  relatedTo: string | null;
  /** The creator's org unit when it was created. */
  orgCode: string;
  createdBy: string;
  createdAt: string;
  /** The data key wrapped by the master key (`v1:<masterKeyId>:…`); never leaves the hub except in a grant. */
  wrappedKey: string;
  /** The original upload: object id, type (without parameters), plaintext size and SHA-256, stored file's size and SHA-256. */
  originalObject: string | null;
  mediaType: string | null;
  sizeBytes: BigIntColumn;
  sha256: string | null;
  storedSize: BigIntColumn;
  storedSha256: string | null;
  uploadedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  submittedAt: string | null;
  /** JSON: the script steps `[{code, at}]` as submitted. */
  steps: string | null;
  /** JSON: the watermark facts as submitted. */
  watermark: string | null;
  mediaStatus: string;
  /** JSON: what the media worker found (duration, streams, …). */
  mediaFacts: string | null;
  mediaError: string | null;
  /** Renditions made by the media worker; sizes and hashes as for the original (plaintext, then stored file). */
  canonicalObject: string | null;
  canonicalMediaType: string | null;
  canonicalSize: BigIntColumn;
  canonicalSha256: string | null;
  canonicalStoredSize: BigIntColumn;
  canonicalStoredSha256: string | null;
  posterObject: string | null;
  posterMediaType: string | null;
  posterSize: BigIntColumn;
  posterSha256: string | null;
  posterStoredSize: BigIntColumn;
  posterStoredSha256: string | null;
  /** The manifest's canonical JSON, sealed at submit, and the seq of its entry in the audit chain. */
  manifest: string | null;
  manifestSeq: BigIntColumn;
  /** Retention (docs/retention.md): the sale's trade day, the last computed "keep until" day and its rule. */
  purchaseDate: string | null;
  retainUntil: string | null;
  retentionRule: string | null;
  /** What the evidence store's retention lock was last set to ("none": no end yet); null: never written. */
  lockSynced: string | null;
  recycledOn: string | null;
  restoredOn: string | null;
  purgedOn: string | null;
}

const hash = (name: string) => ({ name, type: "varchar" as const, length: 64, nullable: true });
const big = (name: string) => ({ name, type: "bigint" as const, nullable: true });
const objectRef = (name: string) => ({ name, type: "varchar" as const, length: 32, nullable: true });
const when = (name: string) => ({ name, type: "varchar" as const, length: 30, nullable: true });

export const RecordingEntity = new EntitySchema<RecordingRow>({
  name: "Recording",
  tableName: "recordings",
  columns: {
    id: { type: "varchar", length: 32, primary: true },
    kind: { type: "varchar", length: 16 },
    status: { type: "varchar", length: 16 },
    customerNo: { name: "customer_no", type: "varchar", length: 32 },
    productCode: { name: "product_code", type: "varchar", length: 32 },
    relatedTo: { name: "related_to", type: "varchar", length: 32, nullable: true },
    orgCode: { name: "org_code", type: "varchar", length: 12 },
    createdBy: { name: "created_by", type: "varchar", length: 64 },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    wrappedKey: { name: "wrapped_key", type: "varchar", length: 255 },
    originalObject: objectRef("original_object"),
    mediaType: { name: "media_type", type: "varchar", length: 100, nullable: true },
    sizeBytes: big("size_bytes"),
    sha256: hash("sha256"),
    storedSize: big("stored_size"),
    storedSha256: hash("stored_sha256"),
    uploadedAt: when("uploaded_at"),
    startedAt: when("started_at"),
    endedAt: when("ended_at"),
    submittedAt: when("submitted_at"),
    steps: { type: "text", nullable: true },
    watermark: { type: "text", nullable: true },
    mediaStatus: { name: "media_status", type: "varchar", length: 16 },
    mediaFacts: { name: "media_facts", type: "text", nullable: true },
    mediaError: { name: "media_error", type: "text", nullable: true },
    canonicalObject: objectRef("canonical_object"),
    canonicalMediaType: { name: "canonical_media_type", type: "varchar", length: 100, nullable: true },
    canonicalSize: big("canonical_size"),
    canonicalSha256: hash("canonical_sha256"),
    canonicalStoredSize: big("canonical_stored_size"),
    canonicalStoredSha256: hash("canonical_stored_sha256"),
    posterObject: objectRef("poster_object"),
    posterMediaType: { name: "poster_media_type", type: "varchar", length: 100, nullable: true },
    posterSize: big("poster_size"),
    posterSha256: hash("poster_sha256"),
    posterStoredSize: big("poster_stored_size"),
    posterStoredSha256: hash("poster_stored_sha256"),
    manifest: { type: "text", nullable: true },
    manifestSeq: big("manifest_seq"),
    purchaseDate: day("purchase_date"),
    retainUntil: day("retain_until"),
    retentionRule: { name: "retention_rule", type: "varchar", length: 32, nullable: true },
    lockSynced: day("lock_synced"),
    recycledOn: day("recycled_on"),
    restoredOn: day("restored_on"),
    purgedOn: day("purged_on"),
  },
});

export interface RedemptionRow {
  id: string;
  customerNo: string;
  productCode: string;
  /** The day the holding was redeemed (YYYY-MM-DD). */
  redeemedOn: string;
  /** Only a full redemption starts the open-ended product's "+ M years". */
  fullRedemption: boolean;
  /** "api" or the plugin that reported it. */
  source: string;
  reference: string | null;
  recordedBy: string;
  recordedAt: string;
}

export const RedemptionEntity = new EntitySchema<RedemptionRow>({
  name: "Redemption",
  tableName: "redemptions",
  columns: {
    id: { type: "varchar", length: 32, primary: true },
    customerNo: { name: "customer_no", type: "varchar", length: 32 },
    productCode: { name: "product_code", type: "varchar", length: 32 },
    redeemedOn: { name: "redeemed_on", type: "varchar", length: 10 },
    fullRedemption: { name: "full_redemption", type: "boolean" },
    source: { type: "varchar", length: 32 },
    reference: { type: "varchar", length: 64, nullable: true },
    recordedBy: { name: "recorded_by", type: "varchar", length: 64 },
    recordedAt: { name: "recorded_at", type: "varchar", length: 30 },
  },
});

/** A legal hold on one recording's group ("recording") or on every recording of a customer and product. */
export interface DisputeRow {
  id: string;
  scope: "recording" | "holding";
  /** The sale whose group is held (scope "recording"): the recording named, or the sale it belongs to. */
  recordingId: string | null;
  customerNo: string;
  productCode: string;
  /** The unit of the recording (or the opener's, for a holding): who may see and close it. */
  orgCode: string;
  reason: string;
  reference: string;
  status: "open" | "closed";
  openedOn: string;
  openedAt: string;
  openedBy: string;
  closedOn: string | null;
  closedAt: string | null;
  closedBy: string | null;
}

export const DisputeEntity = new EntitySchema<DisputeRow>({
  name: "Dispute",
  tableName: "disputes",
  columns: {
    id: { type: "varchar", length: 32, primary: true },
    scope: { type: "varchar", length: 16 },
    recordingId: { name: "recording_id", type: "varchar", length: 32, nullable: true },
    customerNo: { name: "customer_no", type: "varchar", length: 32 },
    productCode: { name: "product_code", type: "varchar", length: 32 },
    orgCode: { name: "org_code", type: "varchar", length: 12 },
    reason: { type: "varchar", length: 500 },
    reference: { type: "varchar", length: 64 },
    status: { type: "varchar", length: 8 },
    openedOn: { name: "opened_on", type: "varchar", length: 10 },
    openedAt: { name: "opened_at", type: "varchar", length: 30 },
    openedBy: { name: "opened_by", type: "varchar", length: 64 },
    closedOn: day("closed_on"),
    closedAt: when("closed_at"),
    closedBy: { name: "closed_by", type: "varchar", length: 64, nullable: true },
  },
});

/** A purchase notified by a legacy system (SOAP face, docs/soap.md), with the answers it was given. */
export interface TransactionRow {
  txnId: string;
  sourceSystem: string;
  customerNo: string;
  productCode: string;
  /** Decimal text with two decimals. */
  amount: string;
  /** The outlet where it was bought. */
  branchCode: string;
  tellerId: string;
  /** ISO-8601 UTC; tradeDate is its Beijing business day. */
  tradeTime: string;
  tradeDate: string;
  status: string;
  fingerprint: string;
  recordingRequired: boolean;
  /** As last worked out; a 补录 deadline that has passed since is applied when read. */
  recordingStatus: string;
  boundCount: number;
  supplementDeadline: string | null;
  /** JSON: the answers given to the SUCCESS and the REVERSED notification, repeated word for word. */
  successAnswer: string | null;
  reversalAnswer: string | null;
  notifiedBy: string;
  notifiedAt: string;
  reversedAt: string | null;
  checkedAt: string;
}

export const TransactionEntity = new EntitySchema<TransactionRow>({
  name: "Transaction",
  tableName: "transactions",
  columns: {
    txnId: { name: "txn_id", type: "varchar", length: 64, primary: true },
    sourceSystem: { name: "source_system", type: "varchar", length: 16 },
    customerNo: { name: "customer_no", type: "varchar", length: 32 },
    productCode: { name: "product_code", type: "varchar", length: 32 },
    amount: { type: "varchar", length: 24 },
    branchCode: { name: "branch_code", type: "varchar", length: 12 },
    tellerId: { name: "teller_id", type: "varchar", length: 32 },
    tradeTime: { name: "trade_time", type: "varchar", length: 30 },
    tradeDate: { name: "trade_date", type: "varchar", length: 10 },
    status: { type: "varchar", length: 16 },
    fingerprint: { type: "varchar", length: 64 },
    recordingRequired: { name: "recording_required", type: "boolean" },
    recordingStatus: { name: "recording_status", type: "varchar", length: 20 },
    boundCount: { name: "bound_count", type: "int" },
    supplementDeadline: day("supplement_deadline"),
    successAnswer: { name: "success_answer", type: "text", nullable: true },
    reversalAnswer: { name: "reversal_answer", type: "text", nullable: true },
    notifiedBy: { name: "notified_by", type: "varchar", length: 64 },
    notifiedAt: { name: "notified_at", type: "varchar", length: 30 },
    reversedAt: when("reversed_at"),
    checkedAt: { name: "checked_at", type: "varchar", length: 30 },
  },
});

/** A notification stored but not yet processed: polled in one process, published to JetStream in a cluster. */
export interface TransactionOutboxRow {
  id: string;
  txnId: string;
  event: string;
  state: "pending" | "published";
  attempts: number;
  nextAttemptAt: string;
  createdAt: string;
  publishedAt: string | null;
  lastError: string | null;
}

export const TransactionOutboxEntity = new EntitySchema<TransactionOutboxRow>({
  name: "TransactionOutbox",
  tableName: "transaction_outbox",
  columns: {
    id: { type: "varchar", length: 32, primary: true },
    txnId: { name: "txn_id", type: "varchar", length: 64 },
    event: { type: "varchar", length: 16 },
    state: { type: "varchar", length: 12 },
    attempts: { type: "int" },
    nextAttemptAt: { name: "next_attempt_at", type: "varchar", length: 30 },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    publishedAt: when("published_at"),
    lastError: { name: "last_error", type: "varchar", length: 500, nullable: true },
  },
});

/** A purchase bound to a recording of its sale; released (kept, with the day) when the purchase is reversed. */
export interface TransactionBindingRow {
  txnId: string;
  recordingId: string;
  state: "bound" | "released";
  boundAt: string;
  releasedAt: string | null;
  previousPurchaseDate: string | null;
}

export const TransactionBindingEntity = new EntitySchema<TransactionBindingRow>({
  name: "TransactionBinding",
  tableName: "transaction_bindings",
  columns: {
    txnId: { name: "txn_id", type: "varchar", length: 64, primary: true },
    recordingId: { name: "recording_id", type: "varchar", length: 32, primary: true },
    state: { type: "varchar", length: 8 },
    boundAt: { name: "bound_at", type: "varchar", length: 30 },
    releasedAt: when("released_at"),
    previousPurchaseDate: day("previous_purchase_date"),
  },
});

/** A bound recording waiting for (or done with) its idle-time archive: both replicas re-verified. */
export interface RecordingArchiveRow {
  recordingId: string;
  state: "pending" | "archived" | "skipped";
  attempts: number;
  nextAttemptAt: string;
  requestedAt: string;
  archivedAt: string | null;
  lastError: string | null;
}

export const RecordingArchiveEntity = new EntitySchema<RecordingArchiveRow>({
  name: "RecordingArchive",
  tableName: "recording_archives",
  columns: {
    recordingId: { name: "recording_id", type: "varchar", length: 32, primary: true },
    state: { type: "varchar", length: 12 },
    attempts: { type: "int" },
    nextAttemptAt: { name: "next_attempt_at", type: "varchar", length: 30 },
    requestedAt: { name: "requested_at", type: "varchar", length: 30 },
    archivedAt: when("archived_at"),
    lastError: { name: "last_error", type: "varchar", length: 500, nullable: true },
  },
});

/** The counter's 补录 tick on a purchase: the recording must be made by the deadline. */
export interface SupplementApplicationRow {
  id: string;
  txnId: string;
  tellerId: string;
  reason: string;
  appliedBy: string;
  appliedAt: string;
  tradeDate: string;
  deadline: string;
  status: string;
}

export const SupplementApplicationEntity = new EntitySchema<SupplementApplicationRow>({
  name: "SupplementApplication",
  tableName: "supplement_applications",
  columns: {
    id: { type: "varchar", length: 32, primary: true },
    txnId: { name: "txn_id", type: "varchar", length: 64 },
    tellerId: { name: "teller_id", type: "varchar", length: 32 },
    reason: { type: "varchar", length: 500 },
    appliedBy: { name: "applied_by", type: "varchar", length: 64 },
    appliedAt: { name: "applied_at", type: "varchar", length: 30 },
    tradeDate: { name: "trade_date", type: "varchar", length: 10 },
    deadline: { type: "varchar", length: 10 },
    status: { type: "varchar", length: 12 },
  },
});

/** A call owed to a bank system through a plugin (crm.pushActivity), delivered by the plugin outbox worker. */
export interface PluginOutboxRow {
  id: string;
  capability: string;
  dedupeKey: string;
  /** JSON: the capability's request. */
  payload: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  faults: number;
  nextAttemptAt: string;
  claimedUntil: string | null;
  claimedBy: string | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  /** JSON: the system's answer. */
  result: string | null;
}

export const PluginOutboxEntity = new EntitySchema<PluginOutboxRow>({
  name: "PluginOutbox",
  tableName: "plugin_outbox",
  columns: {
    id: { type: "varchar", length: 32, primary: true },
    capability: { type: "varchar", length: 64 },
    dedupeKey: { name: "dedupe_key", type: "varchar", length: 128 },
    payload: { type: "text" },
    state: { type: "varchar", length: 12 },
    attempts: { type: "int" },
    faults: { type: "int" },
    nextAttemptAt: { name: "next_attempt_at", type: "varchar", length: 30 },
    claimedUntil: when("claimed_until"),
    claimedBy: { name: "claimed_by", type: "varchar", length: 32, nullable: true },
    lastError: { name: "last_error", type: "varchar", length: 500, nullable: true },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    deliveredAt: when("delivered_at"),
    result: { type: "text", nullable: true },
  },
});

export const ENTITIES = [
  OrgUnitEntity,
  UserEntity,
  SessionEntity,
  AuditEntryEntity,
  AuditCheckpointEntity,
  AuditHeadEntity,
  ProductEntity,
  RecordingOverrideEntity,
  CustomerEntity,
  CustomerCardEntity,
  RiskAssessmentEntity,
  QuestionnaireEntity,
  RetentionPolicyEntity,
  SettingEntity,
  ImportJobEntity,
  RecordingEntity,
  RedemptionEntity,
  DisputeEntity,
  TransactionEntity,
  TransactionOutboxEntity,
  TransactionBindingEntity,
  RecordingArchiveEntity,
  SupplementApplicationEntity,
  PluginOutboxEntity,
];
