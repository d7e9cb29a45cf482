// opencoreml transformers: interface lookups, errors and multi-array helpers shared by the
// feature-engineering model kinds.
#include "models/transformers/transformer_io.hpp"

#include "runtime/array_types.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace opencoreml::models::transformers {

ModelInterface interface_of(const LoadContext& ctx) {
    return ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin);
}

std::string origin_of(const LoadContext& ctx, const char* kind) { return ctx.origin + " (" + kind + ")"; }

void invalid_model(const std::string& origin, const std::string& problem) {
    throw Error(ErrorCode::InvalidModel, origin + ": " + problem);
}

void invalid_input(const std::string& origin, const std::string& problem) {
    throw Error(ErrorCode::InvalidArgument, origin + ": " + problem);
}

namespace {

const spec::FeatureDescription& sole(const std::vector<spec::FeatureDescription>& features, const char* what,
                                     const std::string& origin) {
    if (features.size() != 1)
        invalid_model(origin, std::string("this model kind takes exactly one ") + what + " feature, the model declares " +
                                  std::to_string(features.size()));
    return features.front();
}

const spec::FeatureDescription& named(const std::vector<spec::FeatureDescription>& features, const std::string& name,
                                      const char* field, const char* what, const std::string& origin) {
    for (const auto& d : features)
        if (d.name() == name) return d;
    invalid_model(origin, std::string(field) + " names '" + name + "', which is not one of the model's declared " + what);
}

}  // namespace

const spec::FeatureDescription& sole_input(const ModelInterface& interface, const std::string& origin) {
    return sole(interface.inputs(), "input", origin);
}

const spec::FeatureDescription& sole_output(const ModelInterface& interface, const std::string& origin) {
    return sole(interface.outputs(), "output", origin);
}

const spec::FeatureDescription& named_input(const ModelInterface& interface, const std::string& name, const char* field,
                                            const std::string& origin) {
    return named(interface.inputs(), name, field, "inputs", origin);
}

const spec::FeatureDescription& named_output(const ModelInterface& interface, const std::string& name, const char* field,
                                             const std::string& origin) {
    return named(interface.outputs(), name, field, "outputs", origin);
}

DType declared_dtype(const spec::FeatureDescription& feature) {
    return array_feature_dtype(feature.type().multiarraytype().datatype(), DType::Float64);
}

Shape output_shape(const spec::FeatureDescription& feature, int64_t count) {
    const auto& declared = feature.type().multiarraytype().shape();
    Shape shape(declared.begin(), declared.end());
    if (!shape.empty() && shape_numel(shape) == count) return shape;
    return {count};
}

Tensor make_array(const std::vector<double>& values, const Shape& shape, DType dtype) {
    Tensor t = Tensor::empty(DType::Float64, shape);
    std::copy(values.begin(), values.end(), t.data<double>());
    return dtype == DType::Float64 ? t : t.to(dtype);
}

std::vector<double> array_values(const Tensor& tensor) {
    const Tensor as_double = tensor.dtype() == DType::Float64 ? tensor : tensor.to(DType::Float64);
    const double* p = as_double.data<double>();
    return std::vector<double>(p, p + as_double.numel());
}

const FeatureValue& input_value(const FeatureMap& inputs, const std::string& name, const std::string& origin) {
    auto it = inputs.find(name);
    if (it == inputs.end() || std::holds_alternative<std::monostate>(it->second))
        invalid_input(origin, "input feature '" + name + "' is missing");
    return it->second;
}

int64_t exact_int64(double value, const std::string& what, const std::string& origin) {
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (!std::isfinite(value) || std::floor(value) != value || value < -9223372036854775808.0 ||
        value >= 9223372036854775808.0) {
        std::ostringstream text;
        text << value;
        invalid_input(origin, what + " is " + text.str() + ", which is not an integer (the output is int64)");
    }
    return static_cast<int64_t>(value);
}

std::string quoted(const std::string& value) { return "'" + value + "'"; }
std::string quoted(int64_t value) { return std::to_string(value); }

}  // namespace opencoreml::models::transformers
