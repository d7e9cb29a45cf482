// opencoreml runtime: names of feature value kinds, for error messages.
#include "opencoreml/feature_value.hpp"

namespace opencoreml {

std::string feature_value_kind(const FeatureValue& value) {
    struct Namer {
        std::string operator()(std::monostate) const { return "nothing"; }
        std::string operator()(int64_t) const { return "an integer"; }
        std::string operator()(double) const { return "a number"; }
        std::string operator()(const std::string&) const { return "a string"; }
        std::string operator()(const Tensor& t) const {
            return std::string("a multi-array of ") + dtype_name(t.dtype()) + " with shape " + shape_to_string(t.shape());
        }
        std::string operator()(const StringDictionary&) const { return "a dictionary with string keys"; }
        std::string operator()(const Int64Dictionary&) const { return "a dictionary with int64 keys"; }
        std::string operator()(const Int64Sequence&) const { return "a sequence of integers"; }
        std::string operator()(const StringSequence&) const { return "a sequence of strings"; }
        std::string operator()(const ImageValue& im) const {
            return "an image of " + std::to_string(im.width()) + " x " + std::to_string(im.height());
        }
    };
    return std::visit(Namer{}, value);
}

}  // namespace opencoreml
