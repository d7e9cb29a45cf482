// opencoreml transformers: the arrayFeatureExtractor model kind — elements picked by
// (zero-based, flat) index from a multi-array: one index gives a double or int64 output,
// any number of indices a multi-array output.
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

enum class OutputKind { Double, Int64, Array };

class ArrayFeatureExtractor final : public Predictor {
public:
    explicit ArrayFeatureExtractor(const LoadContext& ctx)
        : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "arrayFeatureExtractor")) {
        const auto& input = sole_input(interface(), origin_);
        const auto& output = sole_output(interface(), origin_);
        if (!input.type().has_multiarraytype()) invalid_model(origin_, "the input '" + input.name() + "' must be a multi-array");
        input_name_ = input.name();
        output_name_ = output.name();
        const auto& indices = ctx.spec.arrayfeatureextractor().extractindex();
        indices_.assign(indices.begin(), indices.end());
        if (indices_.empty()) invalid_model(origin_, "extractIndex is empty");
        if (output.type().has_doubletype() || output.type().has_int64type()) {
            kind_ = output.type().has_doubletype() ? OutputKind::Double : OutputKind::Int64;
            if (indices_.size() != 1)
                invalid_model(origin_, "the output '" + output_name_ + "' is a single number, so extractIndex must hold exactly one index (it holds " +
                                           std::to_string(indices_.size()) + ")");
        } else if (output.type().has_multiarraytype()) {
            kind_ = OutputKind::Array;
            dtype_ = declared_dtype(output);
            shape_ = output_shape(output, static_cast<int64_t>(indices_.size()));
        } else {
            invalid_model(origin_, "the output '" + output_name_ + "' must be a double, an int64 or a multi-array");
        }
        const auto& declared = input.type().multiarraytype().shape();
        if (!declared.empty() && !input.type().multiarraytype().has_shaperange() &&
            !input.type().multiarraytype().has_enumeratedshapes()) {
            const int64_t n = shape_numel(Shape(declared.begin(), declared.end()));
            for (uint64_t i : indices_)
                if (i >= static_cast<uint64_t>(n))
                    invalid_model(origin_, "extractIndex " + std::to_string(i) + " is outside the input '" + input_name_ +
                                               "' of " + std::to_string(n) + " elements");
        }
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const auto* tensor = std::get_if<Tensor>(&input_value(inputs, input_name_, origin_));
        if (!tensor) invalid_input(origin_, "input '" + input_name_ + "' must be a multi-array");
        const std::vector<double> values = array_values(*tensor);
        std::vector<double> picked;
        picked.reserve(indices_.size());
        for (uint64_t i : indices_) {
            if (i >= values.size())
                invalid_input(origin_, "extractIndex " + std::to_string(i) + " is outside the input '" + input_name_ + "' of " +
                                           std::to_string(values.size()) + " elements");
            picked.push_back(values[i]);
        }
        FeatureMap outputs;
        switch (kind_) {
            case OutputKind::Double: outputs[output_name_] = picked[0]; break;
            case OutputKind::Int64:
                outputs[output_name_] = exact_int64(picked[0], "element " + std::to_string(indices_[0]) + " of '" + input_name_ + "'", origin_);
                break;
            case OutputKind::Array: outputs[output_name_] = make_array(picked, shape_, dtype_); break;
        }
        return outputs;
    }

private:
    std::string origin_;
    std::string input_name_;
    std::string output_name_;
    std::vector<uint64_t> indices_;
    OutputKind kind_ = OutputKind::Double;
    DType dtype_ = DType::Float64;
    Shape shape_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<ArrayFeatureExtractor>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kArrayFeatureExtractor, "arrayFeatureExtractor", make)

}  // namespace opencoreml::models::transformers
