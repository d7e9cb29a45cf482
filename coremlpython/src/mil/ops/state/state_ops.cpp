// opencoreml ML programs: read_state / write_state (iOS18) — a program's access to the
// MLState tensors bound to its state-typed inputs.
#include <cstring>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_read_state(const BuildContext& b) {
    if (!b.input("input").is_state) b.fail("input must be a state");
    return make_kernel([](RunContext& ctx) {
        const Tensor& s = ctx.state("input");
        // A copy: later write_state calls must not change values already read.
        Tensor& out = ctx.allocate_output(0, s.dtype(), s.shape());
        std::memcpy(out.raw(), s.raw(), s.nbytes());
    });
}

std::unique_ptr<Kernel> make_write_state(const BuildContext& b) {
    if (!b.input("input").is_state) b.fail("input must be a state");
    return make_kernel([](RunContext& ctx) {
        Tensor& s = ctx.state("input");
        const Tensor& data = ctx.input("data");
        if (data.shape() != s.shape())
            ctx.fail("data of shape " + shape_to_string(data.shape()) + " does not fit the state's shape " + shape_to_string(s.shape()));
        const Tensor converted = data.dtype() == s.dtype() ? data : data.to(s.dtype());
        std::memcpy(s.raw(), converted.raw(), s.nbytes());
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("read_state", kIOS18, make_read_state)
OCML_REGISTER_MIL_OP("write_state", kIOS18, make_write_state)

}  // namespace opencoreml::mil
