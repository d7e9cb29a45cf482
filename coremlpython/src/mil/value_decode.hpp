// opencoreml ML programs: turning MIL constant values (inline tensors, lists, and weights in
// blob files) into Tensors or strings. Byte-aligned weights stay in the memory-mapped file.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "MIL.pb.h"
#include "mil/op_api.hpp"
#include "opencoreml/blob_storage.hpp"

namespace opencoreml::mil {

struct DecodedValue {
    Tensor tensor;
    Strings strings;
    bool is_string = false;
};

// Opens each weight file once per load; `@model_path` stands for `model_dir`.
class WeightFiles {
public:
    explicit WeightFiles(std::string model_dir) : model_dir_(std::move(model_dir)) {}
    std::shared_ptr<blob::BlobReader> open(const std::string& file_name);

private:
    std::string model_dir_;
    std::map<std::string, std::shared_ptr<blob::BlobReader>> readers_;
};

Shape declared_shape(const CoreML::Specification::MILSpec::TensorType& t);
DecodedValue decode_value(const CoreML::Specification::MILSpec::Value& value, WeightFiles& weights,
                          const std::string& where);

}  // namespace opencoreml::mil
