// gradc's rollup plugin: `import gradc from "gradc/rollup"`, then `gradc(options?)` in the rollup config.
import { unpluginGradc } from "./index.js";

export type { GradcPluginOptions } from "./index.js";
export default unpluginGradc.rollup;
