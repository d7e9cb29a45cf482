// opencoreml ML program op: classify — turns a probability tensor into a classifier's two
// outputs: the predicted label (a string, or an int64 scalar tensor) and a dictionary from every
// label to its probability. Labels are the op's constant `classes` list (strings or integers)
// in the order of the flattened probabilities; the predicted label is the first most probable.
#include <map>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"

namespace opencoreml::mil::misc {
namespace {

struct Classes {
    Strings names;
    std::vector<int64_t> ids;
    bool strings = true;
    size_t size() const { return strings ? names.size() : ids.size(); }
};

class ClassifyKernel : public Kernel {
public:
    explicit ClassifyKernel(Classes c) : classes_(std::move(c)) {}

    void run(RunContext& ctx) const override {
        const Tensor probs = to_f32_tensor(ctx.input("probabilities"));
        const int64_t n = probs.numel();
        if (n != static_cast<int64_t>(classes_.size()))
            ctx.fail("probabilities hold " + std::to_string(n) + " values but there are " + std::to_string(classes_.size()) +
                     " classes");
        if (n == 0) ctx.fail("there are no classes to choose from");
        const float* p = probs.data<float>();
        int64_t best = 0;
        for (int64_t i = 1; i < n; ++i)
            if (p[i] > p[best]) best = i;
        if (classes_.strings) {
            StringDictionary dict;
            for (int64_t i = 0; i < n; ++i) dict[classes_.names[i]] = p[i];
            ctx.set_output(0, classes_.names[best]);
            ctx.set_output(1, std::move(dict));
        } else {
            Int64Dictionary dict;
            for (int64_t i = 0; i < n; ++i) dict[classes_.ids[i]] = p[i];
            ctx.set_output(0, Tensor::scalar<int64_t>(classes_.ids[best]));
            ctx.set_output(1, std::move(dict));
        }
    }

private:
    Classes classes_;
};

std::unique_ptr<Kernel> make_classify(const BuildContext& b) {
    if (!b.has_input("classes")) b.fail("missing required input 'classes'");
    const InputInfo& info = b.input("classes");
    Classes c;
    if (info.const_strings) {
        c.names = *info.const_strings;
    } else if (info.const_value && is_integer(info.const_value->dtype())) {
        c.strings = false;
        c.ids = b.const_ints("classes");
    } else {
        b.fail("classes must be a constant list of strings or integers");
    }
    if (b.output_count() != 2) b.fail("classify has two outputs (label and probabilities)");
    return std::make_unique<ClassifyKernel>(std::move(c));
}

}  // namespace

OCML_REGISTER_MIL_OP("classify", kIOS15, make_classify)

}  // namespace opencoreml::mil::misc
