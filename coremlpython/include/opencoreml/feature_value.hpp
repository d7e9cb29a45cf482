// opencoreml runtime: the values that cross a model's interface — Core ML's feature types
// (int64, double, string, multi-array, dictionary, sequence, image) — and the maps of named
// features that predict() takes and returns.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "opencoreml/tensor.hpp"

namespace opencoreml {

// Image pixels as the caller supplies them: UInt8 (height, width, channels) with channels
// 1 (grayscale), 3 (RGB) or 4 (RGBA, alpha ignored), or Float32 (height, width) for
// GRAYSCALE_FLOAT16 images. Models apply their own colour order and preprocessing.
struct ImageValue {
    Tensor pixels;
    int64_t height() const { return pixels.dim(0); }
    int64_t width() const { return pixels.dim(1); }
    int64_t channels() const { return pixels.rank() == 3 ? pixels.dim(2) : 1; }
};

using StringDictionary = std::map<std::string, double>;
using Int64Dictionary = std::map<int64_t, double>;
using Int64Sequence = std::vector<int64_t>;
using StringSequence = std::vector<std::string>;

using FeatureValue = std::variant<std::monostate, int64_t, double, std::string, Tensor, StringDictionary,
                                  Int64Dictionary, Int64Sequence, StringSequence, ImageValue>;

// Feature name -> value; ordered so outputs come back in a stable order.
using FeatureMap = std::map<std::string, FeatureValue>;

// "int64", "double", "string", "multiArray", "dictionary<string>", ... for error messages.
std::string feature_value_kind(const FeatureValue& value);

}  // namespace opencoreml
