// opencoreml info: text for feature types, including flexible shapes and image sizes.
#include "info/feature_text.hpp"

#include <sstream>

namespace opencoreml::info {

namespace spec = CoreML::Specification;

namespace {

std::string array_dtype(spec::ArrayFeatureType::ArrayDataType t) {
    switch (t) {
        case spec::ArrayFeatureType::FLOAT32: return "Float32";
        case spec::ArrayFeatureType::DOUBLE: return "Float64";
        case spec::ArrayFeatureType::FLOAT16: return "Float16";
        case spec::ArrayFeatureType::INT32: return "Int32";
        case spec::ArrayFeatureType::INT8: return "Int8";
        default: return "Invalid";
    }
}

template <typename Dims>
std::string join_dims(const Dims& dims) {
    std::ostringstream s;
    bool first = true;
    for (auto d : dims) {
        s << (first ? "" : " x ") << d;
        first = false;
    }
    return first ? std::string("scalar") : s.str();
}

std::string range_text(int64_t lo, int64_t hi) {
    return std::to_string(lo) + ".." + (hi < 0 ? std::string("inf") : std::to_string(hi));
}

std::string describe_array(const spec::ArrayFeatureType& a) {
    std::string s = "MultiArray (" + array_dtype(a.datatype()) + ", " + join_dims(a.shape());
    if (a.has_enumeratedshapes()) {
        s += "; shapes {";
        for (int i = 0; i < a.enumeratedshapes().shapes_size(); ++i)
            s += (i ? ", " : "") + std::string("[") + join_dims(a.enumeratedshapes().shapes(i).shape()) + "]";
        s += "}";
    } else if (a.has_shaperange()) {
        s += "; ranges [";
        for (int i = 0; i < a.shaperange().sizeranges_size(); ++i) {
            const auto& r = a.shaperange().sizeranges(i);
            s += (i ? ", " : "") + range_text(r.lowerbound(), r.upperbound());
        }
        s += "]";
    }
    return s + ")";
}

std::string color_space(spec::ImageFeatureType::ColorSpace c) {
    switch (c) {
        case spec::ImageFeatureType::GRAYSCALE: return "Grayscale";
        case spec::ImageFeatureType::RGB: return "RGB";
        case spec::ImageFeatureType::BGR: return "BGR";
        case spec::ImageFeatureType::GRAYSCALE_FLOAT16: return "Grayscale Float16";
        default: return "Invalid";
    }
}

std::string describe_image(const spec::ImageFeatureType& im) {
    std::string s = "Image (" + color_space(im.colorspace()) + ", " + std::to_string(im.width()) + " x " +
                    std::to_string(im.height());
    if (im.has_enumeratedsizes()) {
        s += "; sizes {";
        for (int i = 0; i < im.enumeratedsizes().sizes_size(); ++i) {
            const auto& sz = im.enumeratedsizes().sizes(i);
            s += (i ? ", " : "") + std::to_string(sz.width()) + " x " + std::to_string(sz.height());
        }
        s += "}";
    } else if (im.has_imagesizerange()) {
        const auto& r = im.imagesizerange();
        s += "; width " + range_text(r.widthrange().lowerbound(), r.widthrange().upperbound()) + ", height " +
             range_text(r.heightrange().lowerbound(), r.heightrange().upperbound());
    }
    return s + ")";
}

std::string key_type(const spec::DictionaryFeatureType& d) {
    return d.has_stringkeytype() ? "String" : d.has_int64keytype() ? "Int64" : "?";
}

}  // namespace

std::string describe_feature_type(const spec::FeatureType& type) {
    switch (type.Type_case()) {
        case spec::FeatureType::kInt64Type: return "Int64";
        case spec::FeatureType::kDoubleType: return "Double";
        case spec::FeatureType::kStringType: return "String";
        case spec::FeatureType::kImageType: return describe_image(type.imagetype());
        case spec::FeatureType::kMultiArrayType: return describe_array(type.multiarraytype());
        case spec::FeatureType::kDictionaryType: return "Dictionary (" + key_type(type.dictionarytype()) + " -> Double)";
        case spec::FeatureType::kSequenceType: {
            const auto& q = type.sequencetype();
            return std::string("Sequence (") + (q.has_stringtype() ? "String" : q.has_int64type() ? "Int64" : "?") + ")";
        }
        case spec::FeatureType::kStateType: {
            const auto& st = type.statetype();
            return "State (" + (st.has_arraytype() ? describe_array(st.arraytype()) : std::string("?")) + ")";
        }
        default: return "Invalid";
    }
}

}  // namespace opencoreml::info
