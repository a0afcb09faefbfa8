// The kernel's version, shown by `version`, `uname` and the boot banner. Keep in step with
// package.json (a unit test checks it).
export const SIS_NAME = "SIS";
export const SIS_VERSION = "0.1.0";
export const SIS_ARCH = "aarch64";
export const SIS_TOOLCHAIN = "AssemblyScript -> wasm-opt -> wasm2c -> clang";
