// opencoreml ML program ops: space_to_batch and batch_to_space on [N, C, H, W] with a 2-D
// block (TensorFlow semantics: the block offset (i, j) is the major part of the new batch
// index, (i * block_w + j) * N + n). space_to_batch zero-pads H and W first;
// batch_to_space crops after rearranging.
#include "mil/ops/tensor/pad_fill.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/ops/tensor/slice_spec.hpp"
#include "mil/ops/tensor/strided_copy.hpp"

namespace opencoreml::mil {

namespace {

struct BlockParams {
    int64_t bh, bw;
    std::vector<int64_t> edges;  // top, bottom, left, right (paddings or crops)
};

BlockParams read_block(const BuildContext& b, const char* edges_param) {
    const std::vector<int64_t> block = b.const_ints("block_shape");
    const std::vector<int64_t> edges = b.const_ints(edges_param);
    if (block.size() != 2 || edges.size() != 4) b.fail(std::string("block_shape must have 2 values and ") + edges_param + " 2x2");
    if (block[0] < 1 || block[1] < 1) b.fail("block_shape must be positive");
    for (int64_t e : edges)
        if (e < 0) b.fail(std::string(edges_param) + " must not be negative");
    return {block[0], block[1], edges};
}

void check_rank4(const RunContext& ctx, const Tensor& x) {
    if (x.rank() != 4) ctx.fail("x must be [N, C, H, W], got shape " + shape_to_string(x.shape()));
}

std::unique_ptr<Kernel> make_space_to_batch(const BuildContext& b) {
    const BlockParams p = read_block(b, "paddings");
    return make_kernel([p](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        check_rank4(ctx, x);
        const std::vector<int64_t> pads = {0, 0, 0, 0, p.edges[0], p.edges[1], p.edges[2], p.edges[3]};
        const Shape padded = padded_shape(x.shape(), pads);
        if (padded[2] % p.bh != 0 || padded[3] % p.bw != 0)
            ctx.fail("padded spatial size " + shape_to_string({padded[2], padded[3]}) + " does not divide by block_shape");
        Tensor src = x;
        if (padded != x.shape()) {
            src = ctx.scratch(x.dtype(), padded);
            const Tensor zero = Tensor::scalar(0.0).to(x.dtype());
            pad_tensor(x, pads, PadMode::Constant, zero.raw(), src, ctx.threads());
        }
        const int64_t n = padded[0], c = padded[1], h = padded[2] / p.bh, w = padded[3] / p.bw;
        Tensor& out = ctx.allocate_output(0, x.dtype(), {n * p.bh * p.bw, c, h, w});
        // padded as [n, c, h, bh, w, bw] -> [bh, bw, n, c, h, w]
        permute_copy(dtype_size(x.dtype()), {n, c, h, p.bh, w, p.bw}, {3, 5, 0, 1, 2, 4}, src.raw(), out.raw(), &ctx.threads());
    });
}

std::unique_ptr<Kernel> make_batch_to_space(const BuildContext& b) {
    const BlockParams p = read_block(b, "crops");
    return make_kernel([p](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        check_rank4(ctx, x);
        const int64_t blocks = p.bh * p.bw;
        if (x.dim(0) % blocks != 0) ctx.fail("batch " + std::to_string(x.dim(0)) + " does not divide by the block size " + std::to_string(blocks));
        const int64_t n = x.dim(0) / blocks, c = x.dim(1), h = x.dim(2), w = x.dim(3);
        const int64_t full_h = h * p.bh, full_w = w * p.bw;
        if (p.edges[0] + p.edges[1] > full_h || p.edges[2] + p.edges[3] > full_w) ctx.fail("crops exceed the rearranged size");
        const Shape full{n, c, full_h, full_w};
        const Shape cropped{n, c, full_h - p.edges[0] - p.edges[1], full_w - p.edges[2] - p.edges[3]};
        const bool crop = cropped != full;
        Tensor dest = crop ? ctx.scratch(x.dtype(), full) : ctx.allocate_output(0, x.dtype(), full);
        // x as [bh, bw, n, c, h, w] -> [n, c, h, bh, w, bw]
        permute_copy(dtype_size(x.dtype()), {p.bh, p.bw, n, c, h, w}, {2, 3, 4, 0, 5, 1}, x.raw(), dest.raw(), &ctx.threads());
        if (!crop) return;
        SliceWalk walk;
        resolve_size_slice(full, {0, 0, p.edges[0], p.edges[2]}, {n, c, cropped[2], cropped[3]}, walk);
        Tensor& out = ctx.allocate_output(0, x.dtype(), cropped);
        gather_strided(dtype_size(x.dtype()), walk.counts, slice_source(dest, walk), out.raw(), &ctx.threads());
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("space_to_batch", kIOS15, make_space_to_batch)
OCML_REGISTER_MIL_OP("batch_to_space", kIOS15, make_batch_to_space)

}  // namespace opencoreml::mil
