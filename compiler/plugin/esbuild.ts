// gradc's esbuild plugin: `import gradc from "gradc/esbuild"`, then `gradc(options?)` in the esbuild config.
import { unpluginGradc } from "./index.js";

export type { GradcPluginOptions } from "./index.js";
export default unpluginGradc.esbuild;
