import type { Channel, ChannelStatusModel } from "../vocabulary.js";
import { DPE_STATUS_MODEL } from "./dpe.js";
import { DPF_STATUS_MODEL } from "./dpf.js";
import { DPI_STATUS_MODEL } from "./dpi.js";
import { DPO_STATUS_MODEL } from "./dpo.js";
import { DPV_STATUS_MODEL } from "./dpv.js";

/** One status table per channel, in the order of CHANNELS. */
export const STATUS_MODELS: Readonly<Record<Channel, ChannelStatusModel>> = {
  DPI: DPI_STATUS_MODEL,
  DPO: DPO_STATUS_MODEL,
  DPF: DPF_STATUS_MODEL,
  DPV: DPV_STATUS_MODEL,
  DPE: DPE_STATUS_MODEL,
};

export { DPE_STATUS_MODEL, DPF_STATUS_MODEL, DPI_STATUS_MODEL, DPO_STATUS_MODEL, DPV_STATUS_MODEL };
