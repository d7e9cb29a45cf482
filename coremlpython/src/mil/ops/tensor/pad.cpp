// opencoreml ML program ops: pad — constant, reflect or replicate padding of the last
// len(pad)/2 dims of x (pad holds before/after pairs, outermost padded dim first).
#include "mil/ops/tensor/pad_fill.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_pad(const BuildContext& b) {
    const std::string mode_name = b.const_string("mode", "constant");
    PadMode mode;
    if (mode_name == "constant") mode = PadMode::Constant;
    else if (mode_name == "reflect") mode = PadMode::Reflect;
    else if (mode_name == "replicate") mode = PadMode::Replicate;
    else b.fail("mode must be 'constant', 'reflect' or 'replicate', got '" + mode_name + "'");
    const double constant = b.const_float("constant_val", 0.0);
    return make_kernel([mode, constant](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const std::vector<int64_t> given = int_values(ctx.input("pad"));
        if (given.size() % 2 != 0 || static_cast<int64_t>(given.size()) > 2 * x.rank())
            ctx.fail("pad has " + std::to_string(given.size()) + " entries; it needs an even count up to 2 * rank(x) = " +
                     std::to_string(2 * x.rank()));
        // Pairs apply to the trailing dims; leading dims are not padded.
        std::vector<int64_t> pads(static_cast<size_t>(2 * x.rank()), 0);
        std::copy(given.begin(), given.end(), pads.end() - static_cast<std::ptrdiff_t>(given.size()));
        const std::string problem = pad_problem(x.shape(), pads, mode);
        if (!problem.empty()) ctx.fail(problem);
        const Tensor fill = Tensor::scalar(constant).to(x.dtype());
        Tensor& out = ctx.allocate_output(0, x.dtype(), padded_shape(x.shape(), pads));
        pad_tensor(x, pads, mode, fill.raw(), out, ctx.threads());
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("pad", kIOS15, make_pad)

}  // namespace opencoreml::mil
