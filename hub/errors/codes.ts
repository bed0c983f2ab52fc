/**
 * Every `HUB_*` error code, its HTTP status and its message in zh-CN (first) and English.
 * One file, so that `docs/errors.md` can be checked against it by a test.
 */
export const ERROR_CODES = {
  HUB_BAD_REQUEST: { status: 400, zh: "请求格式错误", en: "Malformed request" },
  HUB_BAD_JSON: { status: 400, zh: "请求体不是合法的 JSON", en: "Request body is not valid JSON" },
  HUB_VALIDATION_FAILED: { status: 422, zh: "请求数据校验未通过", en: "Request data failed validation" },
  HUB_BODY_TOO_LARGE: { status: 413, zh: "请求体超过大小限制", en: "Request body exceeds the size limit" },
  HUB_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    zh: "不支持的内容类型，请使用 application/json",
    en: "Unsupported content type; use application/json",
  },
  HUB_NOT_FOUND: { status: 404, zh: "请求的地址不存在", en: "No such route" },
  HUB_AUTH_REQUIRED: { status: 401, zh: "请先登录", en: "Authentication required" },
  HUB_AUTH_TOKEN_INVALID: { status: 401, zh: "登录凭证无效", en: "Token is invalid" },
  HUB_AUTH_TOKEN_EXPIRED: { status: 401, zh: "登录已过期，请重新登录", en: "Token has expired" },
  HUB_AUTH_TOKEN_REVOKED: { status: 401, zh: "登录凭证已失效，请重新登录", en: "Token has been revoked" },
  HUB_AUTH_INVALID_CREDENTIALS: { status: 401, zh: "用户名或密码错误", en: "Wrong username or password" },
  HUB_AUTH_LOCKED: {
    status: 423,
    zh: "连续登录失败次数过多，账户已锁定，请稍后再试",
    en: "Too many failed logins; the account is locked for a while",
  },
  HUB_AUTH_USER_DISABLED: { status: 403, zh: "账户已停用", en: "The account is disabled" },
  HUB_AUTH_PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    zh: "请先修改密码",
    en: "The password must be changed before anything else",
  },
  HUB_PASSWORD_POLICY: {
    status: 422,
    zh: "密码不符合安全要求",
    en: "The password does not meet the policy",
  },
  HUB_FORBIDDEN: { status: 403, zh: "无权执行此操作", en: "Not allowed" },
  HUB_ORG_NOT_FOUND: { status: 404, zh: "机构不存在", en: "No such org unit" },
  HUB_ORG_EXISTS: { status: 409, zh: "机构代码已存在", en: "An org unit with this code exists" },
  HUB_ORG_CLOSED: { status: 409, zh: "机构已撤销", en: "The org unit is closed" },
  HUB_ORG_NOT_EMPTY: {
    status: 409,
    zh: "机构下仍有在用的下级机构或人员，不能撤销",
    en: "The org unit still has open children or enabled users",
  },
  HUB_ORG_INVALID_PARENT: {
    status: 422,
    zh: "上级机构不能挂接此类机构",
    en: "This kind of org unit cannot be placed under that parent",
  },
  HUB_USER_NOT_FOUND: { status: 404, zh: "用户不存在", en: "No such user" },
  HUB_USER_EXISTS: { status: 409, zh: "用户名已存在", en: "The username is taken" },
  HUB_PRODUCT_NOT_FOUND: { status: 404, zh: "产品不存在", en: "No such product" },
  HUB_CUSTOMER_NOT_FOUND: { status: 404, zh: "客户不存在", en: "No such customer" },
  HUB_IMPORT_INVALID: {
    status: 422,
    zh: "导入文件有误，未导入任何数据",
    en: "The import file has errors; nothing was imported",
  },
  HUB_IMPORT_JOB_NOT_FOUND: { status: 404, zh: "导入任务不存在", en: "No such import job" },
  HUB_FILE_MISSING: { status: 400, zh: "请上传文件", en: "No file in the upload" },
  // The outcome codes of a risk match. OK is not an error: it is listed here so that a match answer and a refused
  // sale carry their outcome in the same `code` field, documented in one place.
  HUB_RISK_MATCH_OK: {
    status: 200,
    zh: "客户风险承受能力与产品风险等级匹配",
    en: "The customer may buy this product",
  },
  HUB_RISK_MISMATCH: {
    status: 409,
    zh: "产品风险等级高于客户风险承受能力，不得销售",
    en: "The product's risk exceeds the customer's risk level",
  },
  HUB_RISK_ASSESSMENT_EXPIRED: {
    status: 409,
    zh: "客户风险评估已过期，请重新评估",
    en: "The customer's risk assessment is not valid on that day",
  },
  HUB_RISK_ASSESSMENT_MISSING: {
    status: 409,
    zh: "客户尚未进行风险评估",
    en: "The customer has no risk assessment",
  },
  HUB_STAFF_NOT_QUALIFIED: {
    status: 403,
    zh: "销售人员无有效销售资格，不得销售",
    en: "The staff member has no valid sales qualification",
  },
  HUB_RECORDING_NOT_FOUND: { status: 404, zh: "录音录像不存在", en: "No such recording" },
  HUB_RECORDING_NOT_CREATOR: {
    status: 403,
    zh: "只有录制人本人可以上传、提交或中止该录音录像",
    en: "Only the member of staff who created the recording may upload, submit or abort it",
  },
  HUB_RECORDING_NOT_DRAFT: {
    status: 409,
    zh: "录音录像已提交，不能再修改",
    en: "The recording has been submitted and can no longer change",
  },
  HUB_RECORDING_UPLOAD_INCOMPLETE: {
    status: 409,
    zh: "录音录像文件尚未上传完成",
    en: "The recording's file has not been uploaded completely",
  },
  HUB_RECORDING_NO_REPLAY: {
    status: 403,
    zh: "销售人员只能在提交前预览，提交后不得回放或下载录音录像",
    en: "Sales staff preview a recording before submitting it and never replay or download it afterwards",
  },
  HUB_RECORDING_RENDITION_NOT_FOUND: {
    status: 404,
    zh: "该录音录像的此版本不存在或尚未生成",
    en: "This rendition of the recording does not exist (yet)",
  },
  HUB_RECORDING_NOT_SUBMITTED: {
    status: 409,
    zh: "录音录像尚未提交",
    en: "The recording has not been submitted yet",
  },
  HUB_RECORDING_RECYCLED: {
    status: 410,
    zh: "录音录像已过保存期限，在回收站中，不能回放；管理员可在30天内恢复",
    en: "The recording is past its retention and in the recycle bin; an administrator may restore it within 30 days",
  },
  HUB_RECORDING_PURGED: {
    status: 410,
    zh: "录音录像已过保存期限并已销毁",
    en: "The recording was past its retention and has been destroyed",
  },
  HUB_RECORDING_NOT_RECYCLED: {
    status: 409,
    zh: "录音录像不在回收站中",
    en: "The recording is not in the recycle bin",
  },
  HUB_RECYCLE_RESTORE_EXPIRED: {
    status: 409,
    zh: "已超过回收站30天的恢复期限",
    en: "The 30 days in which it could be restored from the recycle bin have passed",
  },
  HUB_DISPUTE_NOT_FOUND: { status: 404, zh: "纠纷记录不存在", en: "No such dispute" },
  HUB_DISPUTE_CLOSED: { status: 409, zh: "纠纷已结案", en: "The dispute is already closed" },
  HUB_RETENTION_LOCKED: {
    status: 409,
    zh: "保存期限未到或处于纠纷冻结中，存储拒绝删除",
    en: "The evidence store refuses: the retention has not passed or the recording is under a legal hold",
  },
  HUB_RECORDING_RELATED_INVALID: {
    status: 422,
    zh: "关联的录音录像无效",
    en: "The related recording is not valid here",
  },
  // The SOAP face (docs/soap.md): its own message and security checks, then the purchases it is told about.
  HUB_SOAP_MALFORMED: {
    status: 400,
    zh: "SOAP 报文格式错误",
    en: "The SOAP message is malformed",
  },
  HUB_SOAP_UNKNOWN_OPERATION: { status: 400, zh: "SOAP 操作不存在", en: "No such SOAP operation" },
  HUB_AUTH_FAILED: {
    status: 401,
    zh: "WS-Security 身份验证失败",
    en: "WS-Security authentication failed",
  },
  HUB_TXN_CONFLICT: {
    status: 409,
    zh: "该交易流水号已有内容不同的通知",
    en: "This txnId was notified before with other content",
  },
  HUB_TXN_NOT_FOUND: { status: 404, zh: "交易不存在", en: "No such transaction" },
  HUB_SUPPLEMENT_NOT_APPLICABLE: {
    status: 409,
    zh: "该交易不能申请补录",
    en: "This purchase cannot be given a supplementary recording",
  },
  HUB_UPLOAD_NOT_FOUND: { status: 404, zh: "上传不存在或已终止", en: "No such upload" },
  HUB_UPLOAD_OFFSET_MISMATCH: {
    status: 409,
    zh: "上传偏移量与服务器记录不一致",
    en: "Upload-Offset does not match the offset the server holds",
  },
  HUB_UPLOAD_CHECKSUM_MISMATCH: {
    status: 460,
    zh: "上传数据校验和不一致",
    en: "The chunk's checksum does not match its bytes",
  },
  HUB_PLAY_TICKET_INVALID: {
    status: 401,
    zh: "回放链接无效，请重新打开录像",
    en: "The playback ticket is not valid for this request",
  },
  HUB_PLAY_TICKET_EXPIRED: {
    status: 401,
    zh: "回放链接已过期，请重新打开录像",
    en: "The playback ticket has expired",
  },
  HUB_RANGE_NOT_SATISFIABLE: {
    status: 416,
    zh: "请求的字节范围超出文件大小",
    en: "The requested byte range lies beyond the end of the file",
  },
  HUB_UPLOAD_TOO_LARGE: { status: 413, zh: "上传文件超过大小限制", en: "The upload exceeds the size limit" },
  HUB_UPLOAD_TYPE_NOT_ALLOWED: {
    status: 415,
    zh: "不接受此类型的录音录像文件",
    en: "This file type is not accepted for this recording",
  },
  HUB_STORE_FULL: {
    status: 507,
    zh: "存储空间已满，本次上传的数据未保存，请联系管理员",
    en: "The evidence store is full; the bytes of this request were not kept",
  },
  HUB_STORE_REPLICA_UNAVAILABLE: {
    status: 503,
    zh: "存储副本不可用，请稍后重试",
    en: "A replica of the evidence store cannot be written",
  },
  HUB_STORE_CORRUPT: {
    status: 500,
    zh: "存储的数据已损坏，两个副本均未通过校验",
    en: "Stored data is corrupt: both replicas failed verification",
  },
  // Adapter plugins (plugins/sdk): load-time checks first, then the calls to the bank's systems.
  HUB_PLUGIN_MANIFEST: { status: 500, zh: "插件清单（HUB_PLUGINS）有误", en: "The plugin manifest is wrong" },
  HUB_PLUGIN_NOT_FOUND: { status: 500, zh: "插件未安装", en: "The plugin is not installed" },
  HUB_PLUGIN_CONTRACT: {
    status: 500,
    zh: "插件定义不符合插件规范",
    en: "The plugin's definition breaks the plugin contract",
  },
  HUB_PLUGIN_SDK_RANGE: {
    status: 500,
    zh: "插件要求的插件开发包版本与本系统不符",
    en: "The plugin needs another version of the plugin SDK",
  },
  HUB_PLUGIN_DEPENDENCY: {
    status: 500,
    zh: "插件依赖的其他插件未启用或版本不符",
    en: "A plugin the plugin depends on is not enabled or has the wrong version",
  },
  HUB_PLUGIN_SETTINGS: { status: 500, zh: "插件配置项有误", en: "A plugin setting is missing or wrong" },
  HUB_PLUGIN_SCHEMA: {
    status: 500,
    zh: "插件操作的数据格式定义缺失或有误",
    en: "An operation's JSON Schema is missing or wrong",
  },
  HUB_PLUGIN_TRANSPORT: {
    status: 500,
    zh: "插件的接入方式不可用",
    en: "The plugin's transport is unknown or cannot be used",
  },
  HUB_PLUGIN_NO_PROVIDER: {
    status: 501,
    zh: "没有已启用的插件提供此项功能",
    en: "No enabled plugin provides this capability",
  },
  HUB_PLUGIN_RESPONSE_INVALID: {
    status: 502,
    zh: "外部系统返回的数据不符合约定格式",
    en: "The legacy system's answer does not match the operation's schema",
  },
  HUB_LEGACY_UNAVAILABLE: {
    status: 503,
    zh: "外部系统暂不可用，请稍后重试",
    en: "The legacy system cannot be reached",
  },
  HUB_LEGACY_TIMEOUT: {
    status: 504,
    zh: "外部系统响应超时，请稍后重试",
    en: "The legacy system did not answer in time",
  },
  HUB_LEGACY_FAULT: { status: 502, zh: "外部系统返回错误", en: "The legacy system answered with an error" },
  HUB_LEGACY_CIRCUIT_OPEN: {
    status: 503,
    zh: "外部系统连续故障，已暂停调用，请稍后重试",
    en: "Calls to the legacy system are paused after repeated failures",
  },
  HUB_SERVICE_UNAVAILABLE: {
    status: 503,
    zh: "服务暂不可用，请稍后重试",
    en: "Service temporarily unavailable",
  },
  HUB_INTERNAL: { status: 500, zh: "系统内部错误", en: "Internal error" },
  HUB_CONFIG_INVALID: { status: 500, zh: "配置错误", en: "Invalid configuration" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}
