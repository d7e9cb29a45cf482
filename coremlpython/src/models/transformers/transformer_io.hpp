// opencoreml transformers: what the feature-engineering model kinds share — finding their
// one input and output, phrasing load and run errors with the model's origin, reading a
// multi-array as doubles and building multi-array outputs of the declared element type.
#pragma once

#include <string>
#include <vector>

#include "Model.pb.h"
#include "opencoreml/feature_value.hpp"
#include "opencoreml/predictor.hpp"

namespace opencoreml::models::transformers {

namespace spec = CoreML::Specification;

// The interface of the spec a factory was given.
ModelInterface interface_of(const LoadContext& ctx);

// "<origin> (<kind>)": the prefix of every message a transformer throws.
std::string origin_of(const LoadContext& ctx, const char* kind);

[[noreturn]] void invalid_model(const std::string& origin, const std::string& problem);
[[noreturn]] void invalid_input(const std::string& origin, const std::string& problem);

// The one input (or output) a one-in, one-out transformer declares; throws InvalidModel when
// there is not exactly one.
const spec::FeatureDescription& sole_input(const ModelInterface& interface, const std::string& origin);
const spec::FeatureDescription& sole_output(const ModelInterface& interface, const std::string& origin);

// The declared input or output called `name`; throws InvalidModel naming the spec field
// (`field`) that refers to it when there is none.
const spec::FeatureDescription& named_input(const ModelInterface& interface, const std::string& name,
                                            const char* field, const std::string& origin);
const spec::FeatureDescription& named_output(const ModelInterface& interface, const std::string& name,
                                             const char* field, const std::string& origin);

// Element type of a multi-array feature; classic models compute in double, so an unset type
// keeps that precision.
DType declared_dtype(const spec::FeatureDescription& feature);

// The declared shape of a multi-array feature when it holds `count` elements, else (count).
Shape output_shape(const spec::FeatureDescription& feature, int64_t count);

// A multi-array of `dtype` and `shape` holding `values` (computed in double).
Tensor make_array(const std::vector<double>& values, const Shape& shape, DType dtype);

// The elements of a multi-array as doubles, whatever its element type.
std::vector<double> array_values(const Tensor& tensor);

// The value of input `name`, which the caller declared as required.
const FeatureValue& input_value(const FeatureMap& inputs, const std::string& name, const std::string& origin);

// `value` as an int64 when it is one exactly (integral and in range); throws InvalidArgument
// naming `what` otherwise.
int64_t exact_int64(double value, const std::string& what, const std::string& origin);

// "3", "'kiwi'": a category value as it should appear in an error message.
std::string quoted(const std::string& value);
std::string quoted(int64_t value);

}  // namespace opencoreml::models::transformers
