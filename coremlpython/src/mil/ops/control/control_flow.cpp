// opencoreml ML programs: control flow — cond (two branch blocks) and while_loop (a
// condition block and a body block over the loop variables). Nested blocks run in the same
// frame, so values of the enclosing scope are visible inside them.
#include "mil/op_api.hpp"

namespace opencoreml::mil {

namespace {

bool truth(RunContext& ctx, const RtValue& v, const char* what) {
    const Tensor* t = std::get_if<Tensor>(&v);
    if (!t || t->numel() != 1) ctx.fail(std::string(what) + " must be a single bool");
    return t->to(DType::Float64).data<double>()[0] != 0.0;
}

std::unique_ptr<Kernel> make_cond(const BuildContext& b) {
    if (!b.has_input("pred")) b.fail("missing input 'pred'");
    return make_kernel([](RunContext& ctx) {
        const bool pred = truth(ctx, ctx.input_value("pred"), "pred");
        std::vector<RtValue> outs = ctx.run_block(pred ? 0 : 1, {});
        for (size_t i = 0; i < outs.size(); ++i) ctx.set_output(i, std::move(outs[i]));
    });
}

// Guards against programs whose condition never turns false.
constexpr int64_t kMaxIterations = 100000000;

std::unique_ptr<Kernel> make_while_loop(const BuildContext& b) {
    if (!b.has_input("loop_vars")) b.fail("missing input 'loop_vars'");
    return make_kernel([](RunContext& ctx) {
        std::vector<RtValue> vars;
        for (size_t i = 0; i < ctx.input_count("loop_vars"); ++i) vars.push_back(ctx.input_value("loop_vars", i));
        for (int64_t iteration = 0;; ++iteration) {
            if (iteration >= kMaxIterations) ctx.fail("did not finish after " + std::to_string(kMaxIterations) + " iterations");
            std::vector<RtValue> cond = ctx.run_block(0, vars);
            if (cond.empty() || !truth(ctx, cond[0], "the loop condition")) break;
            vars = ctx.run_block(1, vars);
        }
        for (size_t i = 0; i < vars.size(); ++i) ctx.set_output(i, std::move(vars[i]));
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("cond", kIOS15, make_cond)
OCML_REGISTER_MIL_OP("while_loop", kIOS15, make_while_loop)

}  // namespace opencoreml::mil
