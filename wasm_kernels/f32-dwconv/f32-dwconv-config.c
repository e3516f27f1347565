/* Which f32 depthwise-convolution micro-kernels run: a table, not branches in the hot path
 * (variants: include/wt_dwconv.h). The driver picks up9 / up25 / any by the tap count.
 *
 * WASMSIMD runs the tap-loop kernel with 8 channels x 2 output pixels for every kernel size. In
 * tools/bench_dwconv.mjs (node 20 / V8, x86-64 AMD EPYC, shared machine at load ~2, interleaved
 * samples) it ran 11.5-17.7 GFLOP/s on MobileNetV2's 3x3 layers and 18.5 on 5x5 / 7x7: 1.0-1.05x
 * the 16-channel tap loop (WASMSIMD_16C) on 3x3, ~1.1x on 5x5 and 7x7; 1.6-1.7x XNNPACK's
 * unrolled 9p4c and 3.1x its 25p4c (WASMSIMD_UP), whose hoisted loads spill on x86's 16 vector
 * registers; 3.6-8.5x the scalar twin. Re-measure on ARM before changing it. */
#include <stddef.h>

#include "wt_dwconv.h"

static const wt_dwconv_config dwconv_configs[WT_DWCONV_VARIANT_COUNT] = {
    [WT_DWCONV_SCALAR] =
        {
            .up9 = wt_f32_dwconv_minmax_ukernel_9p1c__scalar,
            .up25 = wt_f32_dwconv_minmax_ukernel_np1c__scalar,
            .any = wt_f32_dwconv_minmax_ukernel_np1c__scalar,
            .channel_tile = 1,
            .name = "f32-dwconv-minmax-9p1c/np1c-scalar",
        },
    [WT_DWCONV_WASMSIMD] =
        {
            .up9 = wt_f32_dwconv_minmax_ukernel_np8c2px__wasmsimd,
            .up25 = wt_f32_dwconv_minmax_ukernel_np8c2px__wasmsimd,
            .any = wt_f32_dwconv_minmax_ukernel_np8c2px__wasmsimd,
            .channel_tile = 8,
            .name = "f32-dwconv-minmax-np8c2px-wasmsimd",
        },
    [WT_DWCONV_WASMSIMD_16C] =
        {
            .up9 = wt_f32_dwconv_minmax_ukernel_np16c__wasmsimd,
            .up25 = wt_f32_dwconv_minmax_ukernel_np16c__wasmsimd,
            .any = wt_f32_dwconv_minmax_ukernel_np16c__wasmsimd,
            .channel_tile = 16,
            .name = "f32-dwconv-minmax-np16c-wasmsimd",
        },
    [WT_DWCONV_WASMSIMD_UP] =
        {
            .up9 = wt_f32_dwconv_minmax_ukernel_9p4c__wasmsimd,
            .up25 = wt_f32_dwconv_minmax_ukernel_25p4c__wasmsimd,
            .any = wt_f32_dwconv_minmax_ukernel_np4c__wasmsimd,
            .channel_tile = 4,
            .name = "f32-dwconv-minmax-9p4c/25p4c/np4c-wasmsimd",
        },
};

const wt_dwconv_config* wt_f32_dwconv_config(int variant) {
  if (variant < 0 || variant >= WT_DWCONV_VARIANT_COUNT) return NULL;
  return &dwconv_configs[variant];
}
