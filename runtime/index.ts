// gradc's runtime: what generated derivative code imports. Small and dependency-free.
export { Tape } from "./tape.js";
