// opencoreml ML program ops: the block rearrangements between channels and space —
// depth_to_space / space_to_depth (TensorFlow's DCR order: the block offset is the major
// part of the channel index), pixel_shuffle / pixel_unshuffle (PyTorch's CRD order: the
// channel is major) — and sliding_windows. Each is one permuted or strided walk over x seen
// with split dims; leading dims before [C, H, W] act as batch.
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/ops/tensor/strided_copy.hpp"

namespace opencoreml::mil {

namespace {

enum class Rearrange { DepthToSpace, SpaceToDepth, PixelShuffle, PixelUnshuffle };

std::unique_ptr<Kernel> make_rearrange(const BuildContext& b, Rearrange kind, const char* param) {
    const int64_t f = b.const_int(param);
    if (f < 1) b.fail(std::string(param) + " must be positive, got " + std::to_string(f));
    return make_kernel([kind, f, param](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        if (x.rank() < 3) ctx.fail("x must be [N, C, H, W] (rank 3 or more), got shape " + shape_to_string(x.shape()));
        const size_t r = x.shape().size();
        const int64_t n = dims_product(x.shape(), 0, r - 3), c = x.shape()[r - 3], h = x.shape()[r - 2], w = x.shape()[r - 1];
        const bool to_space = kind == Rearrange::DepthToSpace || kind == Rearrange::PixelShuffle;
        if (to_space ? c % (f * f) != 0 : (h % f != 0 || w % f != 0))
            ctx.fail("shape " + shape_to_string(x.shape()) + " does not divide by " + param + " " + std::to_string(f));
        // x viewed in 6 dims and the permutation that yields the output order.
        Shape view;
        std::vector<int64_t> perm;
        switch (kind) {
            case Rearrange::DepthToSpace: view = {n, f, f, c / (f * f), h, w}; perm = {0, 3, 4, 1, 5, 2}; break;
            case Rearrange::PixelShuffle: view = {n, c / (f * f), f, f, h, w}; perm = {0, 1, 4, 2, 5, 3}; break;
            case Rearrange::SpaceToDepth: view = {n, c, h / f, f, w / f, f}; perm = {0, 3, 5, 1, 2, 4}; break;
            case Rearrange::PixelUnshuffle: view = {n, c, h / f, f, w / f, f}; perm = {0, 1, 3, 5, 2, 4}; break;
        }
        Shape out_shape(x.shape().begin(), x.shape().end() - 3);
        if (to_space) out_shape.insert(out_shape.end(), {c / (f * f), h * f, w * f});
        else out_shape.insert(out_shape.end(), {c * f * f, h / f, w / f});
        Tensor& out = ctx.allocate_output(0, x.dtype(), out_shape);
        permute_copy(dtype_size(x.dtype()), view, perm, x.raw(), out.raw(), &ctx.threads());
    });
}

std::unique_ptr<Kernel> make_sliding_windows(const BuildContext& b) {
    const int64_t axis = b.const_int("axis"), size = b.const_int("size"), stride = b.const_int("stride", 1);
    if (size < 1 || stride < 1) b.fail("size and stride must be positive");
    return make_kernel([axis, size, stride](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const int64_t a = normalize_axis(ctx, axis, x.rank());
        const int64_t len = x.dim(a);
        if (len < size) ctx.fail("window size " + std::to_string(size) + " exceeds the axis length " + std::to_string(len));
        const std::vector<int64_t> strides = contiguous_strides(x.shape());
        // Windows overlap, so x is read through a walk with the axis split in two.
        Shape walk = x.shape();
        StridedView src{x.raw(), strides};
        const size_t ua = static_cast<size_t>(a);
        walk[ua] = (len - size) / stride + 1;
        src.strides[ua] = strides[ua] * stride;
        walk.insert(walk.begin() + a + 1, size);
        src.strides.insert(src.strides.begin() + a + 1, strides[ua]);
        Tensor& out = ctx.allocate_output(0, x.dtype(), walk);
        gather_strided(dtype_size(x.dtype()), walk, src, out.raw(), &ctx.threads());
    });
}

std::unique_ptr<Kernel> make_depth_to_space(const BuildContext& b) { return make_rearrange(b, Rearrange::DepthToSpace, "block_size"); }
std::unique_ptr<Kernel> make_space_to_depth(const BuildContext& b) { return make_rearrange(b, Rearrange::SpaceToDepth, "block_size"); }
std::unique_ptr<Kernel> make_pixel_shuffle(const BuildContext& b) { return make_rearrange(b, Rearrange::PixelShuffle, "upscale_factor"); }
std::unique_ptr<Kernel> make_pixel_unshuffle(const BuildContext& b) {
    return make_rearrange(b, Rearrange::PixelUnshuffle, "downscale_factor");
}

}  // namespace

OCML_REGISTER_MIL_OP("depth_to_space", kIOS15, make_depth_to_space)
OCML_REGISTER_MIL_OP("space_to_depth", kIOS15, make_space_to_depth)
OCML_REGISTER_MIL_OP("pixel_shuffle", kIOS15, make_pixel_shuffle)
OCML_REGISTER_MIL_OP("pixel_unshuffle", kIOS16, make_pixel_unshuffle)
OCML_REGISTER_MIL_OP("sliding_windows", kIOS15, make_sliding_windows)

}  // namespace opencoreml::mil
