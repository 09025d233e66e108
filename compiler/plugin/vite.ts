// gradc's vite plugin: `import gradc from "gradc/vite"`, then `gradc(options?)` in the vite config.
import { unpluginGradc } from "./index.js";

export type { GradcPluginOptions } from "./index.js";
export default unpluginGradc.vite;
