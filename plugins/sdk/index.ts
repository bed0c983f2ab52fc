/**
 * The plugin SDK's public surface: what a plugin, its tests and a hub service import. Everything else under
 * plugins/sdk/ is internal.
 */
export { SDK_VERSION } from "./version";
export {
  defineOperation,
  definePlugin,
  soapClientOf,
  sqlClientOf,
  xmlClientOf,
  type HealthCheck,
  type OperationContext,
  type OperationDefinition,
  type OperationRun,
  type OperationRunner,
  type PluginDefinition,
} from "./contract";
export * from "./capabilities";
export {
  LegacyCircuitOpenError,
  LegacyFaultError,
  LegacyTimeoutError,
  LegacyUnavailableError,
  PluginContractError,
  PluginResponseError,
  type LegacyErrorDetails,
  type PluginContractCode,
} from "./errors";
export {
  Secret,
  settingEnvName,
  type PluginSettings,
  type SettingSpec,
  type SettingsSpec,
  type SettingType,
} from "./settings";
export { parseManifest, type ManifestEntry, type PluginManifest } from "./manifest";
export {
  PluginHost,
  type CapabilityAnswer,
  type PluginHealth,
  type PluginHostOptions,
  type PluginInfo,
  type ProviderFailure,
} from "./host";
export {
  CircuitBreaker,
  DEFAULT_BREAKER,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerState,
} from "./breaker";
export { SYSTEM_CLOCK, type Clock } from "./clock";
export type { PluginLogger } from "./logger";
export { checkReturnCode } from "./esb";
export { asArray, cardLast4, compactDay, day, int, text, time, yuan } from "./values";
export { assessmentAnswer, legacyCustomer, type RawAssessment, type RawCustomer } from "./answers";
export { register as registerTransport, resolve as resolveTransport } from "./transports/index";
export type {
  CallOptions,
  HttpXmlClient,
  SoapClient,
  SqlClient,
  SqlDialect,
  SqlParam,
  SqlQueryOptions,
  SqlRow,
  TransportClient,
  TransportFactory,
  TransportName,
} from "./transports/base";
