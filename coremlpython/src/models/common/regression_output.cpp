// opencoreml models: writing a classic regressor's values as a double or a multi-array.
#include "models/common/regression_output.hpp"

#include <algorithm>

#include "runtime/array_types.hpp"

namespace opencoreml::models {

namespace spec = CoreML::Specification;

namespace {

const spec::FeatureDescription* pick_output(const spec::ModelDescription& description, const ModelInterface& interface) {
    if (!description.predictedfeaturename().empty()) return interface.find_output(description.predictedfeaturename());
    for (const auto& d : interface.outputs())
        if (d.type().has_doubletype() || d.type().has_multiarraytype()) return &d;
    return nullptr;
}

}  // namespace

RegressionOutput::RegressionOutput(const spec::ModelDescription& description, const ModelInterface& interface,
                                   size_t value_count, const std::string& origin) {
    const spec::FeatureDescription* d = pick_output(description, interface);
    if (d == nullptr)
        throw Error(ErrorCode::InvalidModel,
                    origin + ": the regressor has no output for its prediction (predictedFeatureName '" +
                        description.predictedfeaturename() + "' is not a declared output)");
    name_ = d->name();
    if (d->type().has_multiarraytype()) {
        as_array_ = true;
        const auto& array = d->type().multiarraytype();
        dtype_ = array_feature_dtype(array.datatype(), DType::Float64);
        Shape declared(array.shape().begin(), array.shape().end());
        const bool fits = !declared.empty() && shape_numel(declared) == static_cast<int64_t>(value_count);
        shape_ = fits ? declared : Shape{static_cast<int64_t>(value_count)};
    } else if (d->type().has_doubletype()) {
        if (value_count != 1)
            throw Error(ErrorCode::InvalidModel,
                        origin + ": the regressor predicts " + std::to_string(value_count) + " values but its output '" +
                            name_ + "' is a single double; declare it as a multi-array of " +
                            std::to_string(value_count) + " elements");
    } else {
        throw Error(ErrorCode::InvalidModel,
                    origin + ": the regressor's output '" + name_ + "' must be a double or a multi-array");
    }
}

void RegressionOutput::write(const std::vector<double>& values, FeatureMap& outputs) const {
    if (!as_array_) {
        outputs[name_] = values.front();
        return;
    }
    Tensor t = Tensor::empty(DType::Float64, shape_);
    std::copy(values.begin(), values.end(), t.data<double>());
    outputs[name_] = dtype_ == DType::Float64 ? t : t.to(dtype_);
}

}  // namespace opencoreml::models
