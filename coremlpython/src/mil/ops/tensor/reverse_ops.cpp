// opencoreml ML program ops: reverse (flip along `axes`, default all: a walk with negative
// strides) and reverse_sequence (per batch entry, reverse the first lengths[b] elements
// along seq_axis).
#include <cstring>

#include "mil/ops/tensor/index_input.hpp"
#include "mil/ops/tensor/strided_copy.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_reverse(const BuildContext& b) {
    const AxesParam axes = AxesParam::read(b, "axes");
    return make_kernel([axes](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        StridedView src{x.raw(), contiguous_strides(x.shape())};
        Tensor& out = ctx.allocate_output(0, x.dtype(), x.shape());
        if (x.numel() == 0) return;
        int64_t base = 0;
        for (int64_t a : axes.resolve(ctx, x.rank())) {
            const size_t d = static_cast<size_t>(a);
            base += (x.shape()[d] - 1) * src.strides[d];
            src.strides[d] = -src.strides[d];
        }
        src.base = static_cast<const uint8_t*>(x.raw()) + base * static_cast<int64_t>(dtype_size(x.dtype()));
        gather_strided(dtype_size(x.dtype()), x.shape(), src, out.raw(), &ctx.threads());
    });
}

std::unique_ptr<Kernel> make_reverse_sequence(const BuildContext& b) {
    const int64_t seq_axis = b.const_int("seq_axis", 0), batch_axis = b.const_int("batch_axis", 0);
    return make_kernel([seq_axis, batch_axis](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const std::vector<int64_t> lengths = index_values(ctx, "lengths");
        const int64_t sa = normalize_axis(ctx, seq_axis, x.rank(), "seq_axis");
        const int64_t ba = normalize_axis(ctx, batch_axis, x.rank(), "batch_axis");
        if (sa == ba) ctx.fail("seq_axis and batch_axis must differ");
        const int64_t n_seq = x.dim(sa), n_batch = x.dim(ba);
        if (static_cast<int64_t>(lengths.size()) != n_batch)
            ctx.fail("lengths has " + std::to_string(lengths.size()) + " entries for a batch of " + std::to_string(n_batch));
        for (int64_t l : lengths)
            if (l < 0 || l > n_seq) ctx.fail("length " + std::to_string(l) + " is outside [0, " + std::to_string(n_seq) + "]");
        Tensor& out = ctx.allocate_output(0, x.dtype(), x.shape());
        // x as [pre, A, mid, B, post] with A, B the two axes in order; post is one memcpy.
        const size_t lo = static_cast<size_t>(std::min(sa, ba)), hi = static_cast<size_t>(std::max(sa, ba));
        const Shape& s = x.shape();
        const int64_t pre = dims_product(s, 0, lo), mid = dims_product(s, lo + 1, hi);
        const int64_t post = dims_product(s, hi + 1, s.size()) * static_cast<int64_t>(dtype_size(x.dtype()));
        const int64_t na = s[lo], nb = s[hi];
        const bool seq_first = sa < ba;
        const uint8_t* src = static_cast<const uint8_t*>(x.raw());
        uint8_t* dst = static_cast<uint8_t*>(out.raw());
        for (int64_t p = 0; p < pre; ++p)
            for (int64_t ia = 0; ia < na; ++ia)
                for (int64_t m = 0; m < mid; ++m)
                    for (int64_t ib = 0; ib < nb; ++ib) {
                        const int64_t seq = seq_first ? ia : ib, batch = seq_first ? ib : ia;
                        const int64_t len = lengths[static_cast<size_t>(batch)];
                        const int64_t from = seq < len ? len - 1 - seq : seq;
                        const int64_t fa = seq_first ? from : ia, fb = seq_first ? ib : from;
                        std::memcpy(dst + (((p * na + ia) * mid + m) * nb + ib) * post,
                                    src + (((p * na + fa) * mid + m) * nb + fb) * post, static_cast<size_t>(post));
                    }
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("reverse", kIOS15, make_reverse)
OCML_REGISTER_MIL_OP("reverse_sequence", kIOS15, make_reverse_sequence)

}  // namespace opencoreml::mil
