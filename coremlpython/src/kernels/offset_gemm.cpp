// opencoreml kernels: offset_gemm (offset_gemm.hpp). The mr x (vectors * W) accumulators stay
// in registers for the whole K loop; each step loads one or two vectors of B and broadcasts
// the block's mr weights. Bias, clamp and store happen once per tile.
#include "kernels/offset_gemm.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/vec_math.hpp"
#include "kernels/vec_simd.hpp"

namespace opencoreml::kernels {
namespace {

using vm::detail::load;
using vm::detail::load_partial;
using vm::detail::store;
using vm::detail::store_partial;
using vm::detail::Vec;

// Rows per block: a wide and a narrow choice per vector width. 12 x 2 accumulators + 2 B
// vectors + a broadcast fit AVX-512's 32 registers, 6 x 2 + 3 the 16 of AVX2 and SSE; the
// narrow ones (8, 4) avoid padding rows for channel counts that are multiples of 8 or 4.
constexpr int wide_rows(int W) { return W >= 16 ? 12 : 6; }
constexpr int narrow_rows(int W) { return W >= 16 ? 8 : 4; }

struct Body {
    const OffsetGemmTile& t;

    // BK consecutive blocks (BK * MR rows) x NV vectors of columns; `rows` of them are stored.
    template <int W, int MR, int NV, int BK>
    OCML_VEC_INLINE void tile(const float* a, const float* bias, int64_t r0, int64_t rows) const {
        using F = typename Vec<W>::F;
        float* c = t.c + r0 * t.ldc;
        const float* residual = t.residual ? t.residual + r0 * t.ldc : nullptr;
        constexpr int R = BK * MR;
        F acc[R][NV];
        for (int i = 0; i < R; ++i) {
            const float b0 = bias && i < rows ? bias[i] : 0.0f;
            for (int v = 0; v < NV; ++v) acc[i][v] = F{} + b0;
        }
        const float* b = t.b;
        const int64_t* off = t.offsets;
        const int64_t block = t.K * MR;  // floats from one packed block to the next
        for (int64_t k = 0; k < t.K; ++k, a += MR) {
            const float* row = b + off[k];
            F bv[NV];
            for (int v = 0; v < NV; ++v) bv[v] = load<F>(row + v * W);
            // A scalar times a vector: GCC broadcasts straight from memory into the FMA
            // (a splat built as F{} + a[i] costs an add and a shuffle per weight).
            for (int bk = 0; bk < BK; ++bk)
                for (int i = 0; i < MR; ++i)
                    for (int v = 0; v < NV; ++v) acc[bk * MR + i][v] += a[bk * block + i] * bv[v];
        }
        if (residual) {
            const int64_t full = std::min<int64_t>(t.cols, NV * W);
            for (int i = 0; i < R; ++i)
                if (i < rows)
                    for (int v = 0; v < NV; ++v) {
                        const float* r = residual + i * t.ldc + v * W;
                        const int64_t left = full - v * W;
                        if (left >= W)
                            acc[i][v] += load<F>(r);
                        else if (left > 0)
                            acc[i][v] += load_partial<F>(r, left, 0.0f);
                    }
        }
        if (t.lo > -INFINITY || t.hi < INFINITY) {
            const F lo = F{} + t.lo, hi = F{} + t.hi;
            for (int i = 0; i < R; ++i)
                for (int v = 0; v < NV; ++v) {
                    acc[i][v] = acc[i][v] < lo ? lo : acc[i][v];
                    acc[i][v] = acc[i][v] > hi ? hi : acc[i][v];
                }
        }
        if (t.cols >= NV * W) {
            for (int i = 0; i < R; ++i)
                if (i < rows)
                    for (int v = 0; v < NV; ++v) store(c + i * t.ldc + v * W, acc[i][v]);
            return;
        }
        for (int i = 0; i < R; ++i)  // a tile at the end of a row: only its first cols columns
            if (i < rows)
                for (int v = 0; v < NV; ++v) {
                    const int64_t left = t.cols - v * W;
                    if (left >= W)
                        store(c + i * t.ldc + v * W, acc[i][v]);
                    else if (left > 0)
                        store_partial(c + i * t.ldc + v * W, acc[i][v], left);
                }
    }

    template <int W, int MR>
    OCML_VEC_INLINE void blocks() const {
        int64_t blk = 0;
        // One vector of columns: two blocks at a time, so enough independent accumulators
        // hide the multiply-add latency (8 or 12 alone would leave the FMA units idle).
        if (t.vectors == 1)
            for (; blk + 2 <= t.blocks; blk += 2) {
                const int64_t r0 = blk * MR;
                tile<W, MR, 1, 2>(t.a + blk * t.K * MR, t.bias ? t.bias + r0 : nullptr, r0, t.rows - r0);
            }
        for (; blk < t.blocks; ++blk) {
            const int64_t r0 = blk * MR, rows = std::min<int64_t>(MR, t.rows - r0);
            const float* a = t.a + blk * t.K * MR;
            const float* bias = t.bias ? t.bias + r0 : nullptr;
            if (t.vectors == 2)
                tile<W, MR, 2, 1>(a, bias, r0, rows);
            else
                tile<W, MR, 1, 1>(a, bias, r0, rows);
        }
    }

    template <int W>
    OCML_VEC_INLINE void run() const {
        if (t.mr == narrow_rows(W))
            blocks<W, narrow_rows(W)>();
        else
            blocks<W, wide_rows(W)>();
    }
};

}  // namespace

OffsetGemmGeometry offset_gemm_geometry() {
    const int lanes = vm::lanes();
    return {wide_rows(lanes), narrow_rows(lanes), lanes};
}

int offset_gemm_rows(int64_t M) {
    const OffsetGemmGeometry g = offset_gemm_geometry();
    const int64_t wide = (M + g.mr - 1) / g.mr * g.mr, narrow = (M + g.mr_narrow - 1) / g.mr_narrow * g.mr_narrow;
    return narrow < wide ? g.mr_narrow : g.mr;
}

std::vector<float> offset_gemm_pack(const float* a, int64_t M, int64_t K, int64_t lda, int mr) {
    const int64_t blocks = (M + mr - 1) / mr;
    std::vector<float> packed(static_cast<size_t>(blocks * K * mr));
    float* dst = packed.data();
    // Written in order, read as mr sequential row streams.
    for (int64_t b = 0; b < blocks; ++b)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t i = 0; i < mr; ++i) {
                const int64_t m = b * mr + i;
                *dst++ = m < M ? a[m * lda + k] : 0.0f;
            }
    return packed;
}

void offset_gemm(const OffsetGemmTile& t) {
    if (t.blocks > 0) vm::detail::dispatch(Body{t});
}

}  // namespace opencoreml::kernels
