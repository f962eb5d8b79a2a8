export { startSvarUtSim, type SvarUtSim, type SvarUtSimOptions, type SvarInnDelivery } from "./server.js";
export { SvarUtState, SVARUT_STATUSES, type SvarUtStatus, type ForsendelseRecord, type SvarUtReceiver, type SvarUtAccount, type SvarUtIntegration } from "./state.js";
export { SvarUtError, type SvarUtKey } from "./intake.js";
export { loadDefaultSvarUtOptions, seedSvarUtDefaults, SVARUT_SANDBOX } from "./defaults.js";
