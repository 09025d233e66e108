import { valueAndGrad } from "gradc";
import { loss } from "./loss.js";

export const lossValueAndGrad = valueAndGrad(loss, { wrt: "p" });
