// opencoreml runtime: ArrayFeatureType element types -> DType.
#include "runtime/array_types.hpp"

namespace opencoreml {

DType array_feature_dtype(CoreML::Specification::ArrayFeatureType::ArrayDataType type, DType unset) {
    using A = CoreML::Specification::ArrayFeatureType;
    switch (type) {
        case A::FLOAT32: return DType::Float32;
        case A::DOUBLE: return DType::Float64;
        case A::FLOAT16: return DType::Float16;
        case A::INT32: return DType::Int32;
        case A::INT8: return DType::Int8;
        default: return unset;
    }
}

}  // namespace opencoreml
