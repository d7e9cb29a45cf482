// opencoreml info: one-line descriptions of feature types ("MultiArray (Float32, 1 x 3)").
#pragma once

#include <string>

#include "FeatureTypes.pb.h"

namespace opencoreml::info {

std::string describe_feature_type(const CoreML::Specification::FeatureType& type);

}  // namespace opencoreml::info
