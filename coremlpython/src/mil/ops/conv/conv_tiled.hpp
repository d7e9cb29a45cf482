// opencoreml ML program ops: conv on opencoreml's own register-tiled product
// (kernels/offset_gemm.hpp) for 1-D and 2-D windows with any stride, dilation, padding and
// groups. Instead of an im2col matrix, the input is copied once into zero-padded planes
// split by stride phase (stride 2: even/odd rows x even/odd columns), so that every kernel
// tap reads a contiguous run of a plane: output pixel q = oh * wv + ow of tap (kh, kw) sits at
// a fixed offset from q. The product then computes rows of width wv (a few columns past the
// output width are computed and dropped) and writes bias + clamp straight into the output.
// Pointwise convs (1x1, stride 1, no padding) read the input itself, without a copy. On small
// planes, where those dropped columns would be a large share, tiles of output pixels are
// gathered from the planes into panels instead.
#pragma once

#include <cstdint>
#include <vector>

#include "mil/ops/conv/window.hpp"
#include "mil/ops/linalg/epilogue.hpp"

namespace opencoreml::mil {

class ThreadPool;

// conv_tiled runs the windows PhasePlanes takes (window_is_planar in phase_planes.hpp).

// Constant weights [c_out, k] (k = c_in / groups * taps) packed for offset_gemm, per group.
struct TiledConvWeights {
    int mr = 0;
    int64_t groups = 0, c_out_g = 0, k = 0;
    std::vector<float> packed;  // [groups][blocks of mr rows][k][mr]

    bool empty() const { return packed.empty(); }
    int64_t blocks() const { return (c_out_g + mr - 1) / mr; }
    const float* group(int64_t g) const { return packed.data() + g * blocks() * k * mr; }
    static TiledConvWeights pack(const float* w, int64_t c_out, int64_t groups, int64_t k);
    // Multiplies output channel co's weights by scale[co] (a folded batch_norm).
    void scale_rows(const std::vector<float>& scale);
};

struct TiledConvArgs {
    int64_t n = 0, c_in = 0, c_out = 0, groups = 1;
    Window3 w;
    const float* x = nullptr;                  // [n, c_in, *in], or
    const uint16_t* x16 = nullptr;             // the same in fp16, widened as it is copied (not for
                                               // windows read in place: conv_tiled_in_place)
    const TiledConvWeights* weights = nullptr;
    const float* bias = nullptr;               // [c_out] or null
    const float* residual = nullptr;           // [n, c_out, *out] added before the clamp, or null
    Epilogue epilogue;
    float* out = nullptr;                      // [n, c_out, *out]; fully written
};

// Whether conv_tiled reads this window's input in place (pointwise: 1x1, stride 1, no padding).
bool conv_tiled_in_place(const Window3& w);

// Row offsets conv_tiled needs (int64 scratch, shared by its threads).
int64_t conv_tiled_offsets(const TiledConvArgs& a);

// Planes and panels live in per-thread buffers (thread_floats), built by each thread that
// takes part, so threads never wait on one another's copies.
void conv_tiled(const TiledConvArgs& a, int64_t* offsets, ThreadPool& pool);

}  // namespace opencoreml::mil
