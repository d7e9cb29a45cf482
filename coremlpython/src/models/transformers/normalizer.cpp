// opencoreml transformers: the normalizer model kind — an array divided by its norm: L1
// (sum of |x_i|), L2 (root of the sum of squares) or LMax (max x_i, as the spec defines
// it). A zero norm leaves the array unchanged rather than dividing by zero.
#include <algorithm>
#include <cmath>
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

class Normalizer final : public Predictor {
public:
    explicit Normalizer(const LoadContext& ctx)
        : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "normalizer")), norm_(ctx.spec.normalizer().normtype()) {
        const auto& input = sole_input(interface(), origin_);
        const auto& output = sole_output(interface(), origin_);
        if (!input.type().has_multiarraytype() || !output.type().has_multiarraytype())
            invalid_model(origin_, "the input and the output must be multi-arrays");
        if (norm_ != spec::Normalizer::L1 && norm_ != spec::Normalizer::L2 && norm_ != spec::Normalizer::LMax)
            invalid_model(origin_, "unknown normType " + std::to_string(static_cast<int>(norm_)));
        input_name_ = input.name();
        output_name_ = output.name();
        dtype_ = declared_dtype(output);
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const auto* t = std::get_if<Tensor>(&input_value(inputs, input_name_, origin_));
        if (!t) invalid_input(origin_, "input '" + input_name_ + "' must be a multi-array");
        std::vector<double> x = array_values(*t);
        const double z = norm(x);
        if (z != 0.0)
            for (double& v : x) v /= z;
        FeatureMap outputs;
        outputs[output_name_] = make_array(x, t->shape(), dtype_);
        return outputs;
    }

private:
    double norm(const std::vector<double>& x) const {
        if (x.empty()) return 0.0;
        double z = 0.0;
        switch (norm_) {
            case spec::Normalizer::L1:
                for (double v : x) z += std::fabs(v);
                return z;
            case spec::Normalizer::L2:
                for (double v : x) z += v * v;
                return std::sqrt(z);
            default: return *std::max_element(x.begin(), x.end());
        }
    }

    std::string origin_;
    spec::Normalizer::NormType norm_;
    std::string input_name_;
    std::string output_name_;
    DType dtype_ = DType::Float64;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<Normalizer>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kNormalizer, "normalizer", make)

}  // namespace opencoreml::models::transformers
