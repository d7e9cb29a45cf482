// opencoreml runtime: the element type a multi-array feature declares, as a DType.
#pragma once

#include "FeatureTypes.pb.h"
#include "opencoreml/tensor.hpp"

namespace opencoreml {

// `unset` is returned for INVALID (a multi-array whose element type was left out):
// ML programs and ND inputs mean float32 then, classic models keep their double results.
DType array_feature_dtype(CoreML::Specification::ArrayFeatureType::ArrayDataType type, DType unset = DType::Float32);

}  // namespace opencoreml
