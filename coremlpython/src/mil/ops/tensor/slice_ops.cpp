// opencoreml ML program ops: slice_by_index (numpy slicing with masks), slice_by_size and
// slice_update (iOS18: x with a slice overwritten by `update`). begin/end/size may be
// runtime tensors of any integer dtype; stride and masks are constants.
#include <cstring>

#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/ops/tensor/slice_spec.hpp"

namespace opencoreml::mil {

namespace {

std::vector<int64_t> index_input(const RunContext& ctx, const char* param) {
    const Tensor& t = ctx.input(param);
    if (!is_index_dtype(t.dtype()) || t.rank() > 1) ctx.fail(std::string(param) + " must be a 1-D integer tensor");
    return int_values(t);
}

std::unique_ptr<Kernel> make_slice_by_index(const BuildContext& b) {
    const IndexSliceParams params = IndexSliceParams::read(b);
    return make_kernel([params](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        SliceWalk w;
        const std::string problem = resolve_index_slice(x.shape(), index_input(ctx, "begin"), index_input(ctx, "end"), params, w);
        if (!problem.empty()) ctx.fail(problem);
        Tensor& out = ctx.allocate_output(0, x.dtype(), w.result_shape);
        gather_strided(dtype_size(x.dtype()), w.counts, slice_source(x, w), out.raw(), &ctx.threads());
    });
}

std::unique_ptr<Kernel> make_slice_by_size(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        SliceWalk w;
        const std::string problem = resolve_size_slice(x.shape(), index_input(ctx, "begin"), index_input(ctx, "size"), w);
        if (!problem.empty()) ctx.fail(problem);
        Tensor& out = ctx.allocate_output(0, x.dtype(), w.result_shape);
        gather_strided(dtype_size(x.dtype()), w.counts, slice_source(x, w), out.raw(), &ctx.threads());
    });
}

std::unique_ptr<Kernel> make_slice_update(const BuildContext& b) {
    const IndexSliceParams params = IndexSliceParams::read(b);
    return make_kernel([params](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const Tensor& update = ctx.input("update");
        if (update.dtype() != x.dtype())
            ctx.fail(std::string("update is ") + dtype_name(update.dtype()) + " but x is " + dtype_name(x.dtype()));
        SliceWalk w;
        const std::string problem = resolve_index_slice(x.shape(), index_input(ctx, "begin"), index_input(ctx, "end"), params, w);
        if (!problem.empty()) ctx.fail(problem);
        if (update.shape() != w.result_shape && update.shape() != w.counts)
            ctx.fail("update has shape " + shape_to_string(update.shape()) + " but the slice has shape " + shape_to_string(w.result_shape));
        Tensor& out = ctx.allocate_output(0, x.dtype(), x.shape());
        std::memcpy(out.raw(), x.raw(), x.nbytes());
        const size_t es = dtype_size(x.dtype());
        // The slice walk, run backwards: contiguous update elements land on the strided slice.
        strided_copy(es, w.counts, StridedView{update.raw(), contiguous_strides(w.counts)},
                     static_cast<uint8_t*>(out.raw()) + w.base * static_cast<int64_t>(es), w.strides, &ctx.threads());
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("slice_by_index", kIOS15, make_slice_by_index)
OCML_REGISTER_MIL_OP("slice_by_size", kIOS15, make_slice_by_size)
OCML_REGISTER_MIL_OP("slice_update", kIOS18, make_slice_update)

}  // namespace opencoreml::mil
