// opencoreml ML program ops: band_part — keeps, in every innermost [M, N] matrix, the
// entries with (lower < 0 or m - n <= lower) and (upper < 0 or n - m <= upper); the rest
// become zero (all-zero bytes for every dtype it takes: fp16, fp32, int32, bool).
#include <algorithm>
#include <cstring>

#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_band_part(const BuildContext& b) {
    const int64_t lower = b.const_int("lower", -1), upper = b.const_int("upper", -1);
    return make_kernel([lower, upper](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        if (x.rank() < 2) ctx.fail("x must have rank 2 or more, got shape " + shape_to_string(x.shape()));
        const int64_t rows_per = x.dim(-2), cols = x.dim(-1);
        const int64_t rows = x.numel() / std::max<int64_t>(1, cols);
        const size_t es = dtype_size(x.dtype());
        Tensor& out = ctx.allocate_output(0, x.dtype(), x.shape());
        if (x.numel() == 0) return;
        const uint8_t* src = static_cast<const uint8_t*>(x.raw());
        uint8_t* dst = static_cast<uint8_t*>(out.raw());
        ctx.threads().parallel_for(rows, std::max<int64_t>(1, (1 << 15) / cols), [&](int64_t lo, int64_t hi) {
            for (int64_t r = lo; r < hi; ++r) {
                const int64_t m = r % rows_per;
                const int64_t first = lower < 0 ? 0 : std::clamp<int64_t>(m - lower, 0, cols);
                const int64_t last = upper < 0 ? cols : std::clamp<int64_t>(m + upper + 1, 0, cols);
                uint8_t* d = dst + static_cast<size_t>(r * cols) * es;
                const uint8_t* s = src + static_cast<size_t>(r * cols) * es;
                if (first >= last) {
                    std::memset(d, 0, static_cast<size_t>(cols) * es);
                    continue;
                }
                std::memset(d, 0, static_cast<size_t>(first) * es);
                std::memcpy(d + first * es, s + first * es, static_cast<size_t>(last - first) * es);
                std::memset(d + last * es, 0, static_cast<size_t>(cols - last) * es);
            }
        });
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("band_part", kIOS15, make_band_part)

}  // namespace opencoreml::mil
