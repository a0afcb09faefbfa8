// The memory layout shared by the build (asc flags, C defines) and the Node test host.
// See boot/bootinfo.h for the picture.

/** Linear [0, BUDDY_WINDOW) mirrors physical RAM page for page; the buddy allocator owns it. */
export const BUDDY_WINDOW = 1 << 30;
/** Linear [BUDDY_WINDOW, +HEAP_BYTES) holds AssemblyScript statics and its GC heap. */
export const HEAP_BYTES = 48 << 20;
export const WASM_PAGE = 65536;
export const TOTAL_PAGES = (BUDDY_WINDOW + HEAP_BYTES) / WASM_PAGE;
/** AssemblyScript's shadow stack (incremental GC). */
export const AS_STACK_BYTES = 256 << 10;
