/**
 * Where the hot paths switch from a byte loop to a typed-array copy (the fanout ring taking in a
 * payload, a connection writing a delivery into its output chunk, the benchmark's sink doing what
 * a connection does). Each keeps its own copy loop: one shared copy function made its call sites
 * polymorphic (the ring's arena and the output chunks are different kinds of array) and cost the
 * broker ~4 % CPU at 1 KiB.
 */

/**
 * Ranges up to this many bytes are copied with a byte loop: below it that beats making the view
 * a typed-array copy needs (an object per copy) plus the copy call's setup. On Node 20 a loop
 * costs about 1 ns a byte and view + set about 37 ns at any small size, so they cross near 32 B.
 */
export const BYTE_LOOP_MAX = 32;
