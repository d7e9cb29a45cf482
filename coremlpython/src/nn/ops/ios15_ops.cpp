// opencoreml neural networks: internal ops with the iOS15 semantics of MIL ops that iOS17
// revised. NN programs are written in the iOS17 opset (its reshape keeps trailing dims, which
// the rank-generic layer translations rely on), but the NN cropResize and
// NonMaximumSuppression layers match the iOS15 crop_resize (rank-5 boxes) and
// non_maximum_suppression (score threshold and box count). These names hand the op to that
// definition, looked up when the program is loaded.
#include "mil/op_api.hpp"

namespace opencoreml::mil {

namespace {

KernelFactory ios15(const char* op) {
    return [op](const BuildContext& ctx) {
        const KernelFactory* factory = find_op(op, kIOS15);
        if (!factory) ctx.unsupported(std::string("the iOS15 op ") + op);
        return (*factory)(ctx);
    };
}

}  // namespace

OCML_REGISTER_MIL_OP("nn_crop_resize", kIOS15, ios15("crop_resize"))
OCML_REGISTER_MIL_OP("nn_non_maximum_suppression", kIOS15, ios15("non_maximum_suppression"))

}  // namespace opencoreml::mil
