/** The version of the plugin contract. A plugin's `sdk` range is checked against it when the plugin loads. */
export const SDK_VERSION = "1.0.0";
