// opencoreml transformers: the classConfidenceThresholding model kind. As the spec defines
// it, the model keeps every class: for C confidences the (2, C) output holds the
// confidences in row 0 and 1 ("class present") in row 1. The precision-recall curves are
// data for the application to choose its own thresholds; they are checked at load but do
// not change the output.
#include <cmath>
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

void check_curve_table(const CoreML::Specification::FloatVector& values, const CoreML::Specification::FloatVector& thresholds,
                       const std::string& what, const std::string& origin) {
    if (values.vector_size() == 0 || values.vector_size() != thresholds.vector_size())
        invalid_model(origin, what + " values and confidence thresholds must be non-empty and of equal length");
    for (const auto* table : {&values, &thresholds})
        for (float v : table->vector())
            if (!std::isfinite(v) || v < 0.0f) invalid_model(origin, what + " tables must hold finite, non-negative numbers");
}

class ClassConfidenceThresholding final : public Predictor {
public:
    explicit ClassConfidenceThresholding(const LoadContext& ctx)
        : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "classConfidenceThresholding")) {
        const auto& curves = ctx.spec.classconfidencethresholding().precisionrecallcurves();
        if (curves.empty()) invalid_model(origin_, "the model has no precisionRecallCurves");
        for (const auto& curve : curves) {
            check_curve_table(curve.precisionvalues(), curve.precisionconfidencethresholds(), "precision", origin_);
            check_curve_table(curve.recallvalues(), curve.recallconfidencethresholds(), "recall", origin_);
        }
        const auto& input = sole_input(interface(), origin_);
        const auto& output = sole_output(interface(), origin_);
        if (!input.type().has_multiarraytype() || !output.type().has_multiarraytype())
            invalid_model(origin_, "the input and the output must be multi-arrays");
        input_name_ = input.name();
        output_name_ = output.name();
        dtype_ = declared_dtype(output);
        classes_ = curves.size();
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const auto* t = std::get_if<Tensor>(&input_value(inputs, input_name_, origin_));
        if (!t) invalid_input(origin_, "input '" + input_name_ + "' must be a multi-array");
        std::vector<double> values = array_values(*t);
        const auto c = static_cast<int64_t>(values.size());
        if (c != classes_)
            invalid_input(origin_, "input '" + input_name_ + "' holds " + std::to_string(c) + " confidences but the model has " +
                                       std::to_string(classes_) + " classes (one precision-recall curve each)");
        values.resize(static_cast<size_t>(2 * c), 1.0);
        FeatureMap outputs;
        outputs[output_name_] = make_array(values, {2, c}, dtype_);
        return outputs;
    }

private:
    std::string origin_;
    std::string input_name_;
    std::string output_name_;
    DType dtype_ = DType::Float64;
    int64_t classes_ = 0;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<ClassConfidenceThresholding>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kClassConfidenceThresholding, "classConfidenceThresholding", make)

}  // namespace opencoreml::models::transformers
