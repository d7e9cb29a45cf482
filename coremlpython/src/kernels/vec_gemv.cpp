// opencoreml kernels: gemv_accumulate (vec_gemv.hpp). Columns are taken in blocks of eight
// vectors kept in registers across the whole K loop, so y is read and written once and each
// step streams rows of B (contiguous, row-major) with eight independent FMA chains.
#include "kernels/vec_gemv.hpp"

#include "kernels/vec_simd.hpp"

namespace opencoreml::kernels {
namespace {

using vm::detail::load;
using vm::detail::store;
using vm::detail::Vec;

struct GemvBody {
    const float* x;
    int64_t K;
    const float* B;
    int64_t ldb, N;
    float* y;

    template <int W>
    OCML_VEC_INLINE void run() const {
        using F = typename Vec<W>::F;
        constexpr int kBlock = 8;
        int64_t j = 0;
        for (; j + kBlock * W <= N; j += kBlock * W) {
            F acc[kBlock];
            for (int v = 0; v < kBlock; ++v) acc[v] = load<F>(y + j + v * W);
            const float* b = B + j;
            for (int64_t k = 0; k < K; ++k, b += ldb) {
                const float xk = x[k];
                for (int v = 0; v < kBlock; ++v) acc[v] += xk * load<F>(b + v * W);
            }
            for (int v = 0; v < kBlock; ++v) store(y + j + v * W, acc[v]);
        }
        for (; j + W <= N; j += W) {  // the last < 8 whole vectors, one at a time
            F acc = load<F>(y + j);
            const float* b = B + j;
            for (int64_t k = 0; k < K; ++k, b += ldb) acc += x[k] * load<F>(b);
            store(y + j, acc);
        }
        if (j < N) {  // a partial vector: scalar, it is at most W - 1 columns
            for (int64_t c = j; c < N; ++c) {
                float acc = y[c];
                for (int64_t k = 0; k < K; ++k) acc += x[k] * B[k * ldb + c];
                y[c] = acc;
            }
        }
    }
};

}  // namespace

void gemv_accumulate(const float* x, int64_t K, const float* B, int64_t ldb, int64_t N, float* y) {
    if (N > 0) vm::detail::dispatch(GemvBody{x, K, B, ldb, N, y});
}

}  // namespace opencoreml::kernels
