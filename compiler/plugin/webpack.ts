// gradc's webpack plugin: `import gradc from "gradc/webpack"`, then `gradc(options?)` in the webpack config.
import { unpluginGradc } from "./index.js";

export type { GradcPluginOptions } from "./index.js";
export default unpluginGradc.webpack;
