// opencoreml runtime: a model's declared inputs/outputs and the checking and conversion of
// caller-supplied features against them (the one place input errors are phrased).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "Model.pb.h"
#include "info/feature_text.hpp"
#include "runtime/array_types.hpp"
#include "opencoreml/predictor.hpp"

namespace opencoreml {

namespace spec = CoreML::Specification;

struct ModelInterface::Impl {
    std::vector<spec::FeatureDescription> inputs, outputs, states;
    std::string origin;
};

namespace {

const std::vector<spec::FeatureDescription> kNone;

template <typename List>
std::vector<spec::FeatureDescription> to_vector(const List& list) {
    return std::vector<spec::FeatureDescription>(list.begin(), list.end());
}

[[noreturn]] void fail(const std::string& origin, const spec::FeatureDescription& d, const std::string& problem) {
    throw Error(ErrorCode::InvalidArgument, origin + ": input feature '" + d.name() + "' (" +
                                                info::describe_feature_type(d.type()) + "): " + problem);
}

bool accepted_array_dtype(DType t) {
    return t == DType::Float32 || t == DType::Float64 || t == DType::Int32 || t == DType::Int8 || t == DType::Float16;
}

// A one-element multi-array passed for a scalar feature (e.g. a 0-d numpy array).
bool single_number(const FeatureValue& v, double& out) {
    if (const auto* t = std::get_if<Tensor>(&v)) {
        if (t->numel() != 1) return false;
        out = t->to(DType::Float64).data<double>()[0];
        return true;
    }
    if (const auto* i = std::get_if<int64_t>(&v)) { out = static_cast<double>(*i); return true; }
    if (const auto* d = std::get_if<double>(&v)) { out = *d; return true; }
    return false;
}

bool in_range(int64_t value, int64_t lo, int64_t hi) { return value >= lo && (hi < 0 || value <= hi); }

void check_array_shape(const std::string& origin, const spec::FeatureDescription& d, const spec::ArrayFeatureType& a,
                       const Shape& shape) {
    if (a.has_enumeratedshapes()) {
        for (const auto& s : a.enumeratedshapes().shapes())
            if (Shape(s.shape().begin(), s.shape().end()) == shape) return;
        fail(origin, d, "shape " + shape_to_string(shape) + " is not one of the model's enumerated shapes");
    }
    if (a.has_shaperange()) {
        const auto& ranges = a.shaperange().sizeranges();
        bool ok = static_cast<int>(shape.size()) == ranges.size();
        for (int i = 0; ok && i < ranges.size(); ++i) ok = in_range(shape[i], ranges[i].lowerbound(), ranges[i].upperbound());
        if (!ok) fail(origin, d, "shape " + shape_to_string(shape) + " is outside the model's allowed shape ranges");
        return;
    }
    if (a.shape_size() == 0) return;  // shape not declared: any shape
    const Shape declared(a.shape().begin(), a.shape().end());
    if (declared != shape)
        fail(origin, d, "expected shape " + shape_to_string(declared) + ", got " + shape_to_string(shape));
}

void check_image(const std::string& origin, const spec::FeatureDescription& d, const ImageValue& image) {
    const auto& im = d.type().imagetype();
    const int64_t w = image.width(), h = image.height(), c = image.channels();
    const bool float_gray = im.colorspace() == spec::ImageFeatureType::GRAYSCALE_FLOAT16;
    if (float_gray) {
        if (image.pixels.dtype() != DType::Float32 || image.pixels.rank() != 2)
            fail(origin, d, "expected a float32 grayscale image (PIL mode 'F')");
    } else {
        if (image.pixels.dtype() != DType::UInt8) fail(origin, d, "expected 8-bit image pixels");
        const bool gray = im.colorspace() == spec::ImageFeatureType::GRAYSCALE;
        if (gray ? c != 1 : (c != 3 && c != 4))
            fail(origin, d, std::string("expected ") + (gray ? "a grayscale (PIL mode 'L')" : "an RGB (PIL mode 'RGB' or 'RGBA')") +
                                " image, got " + std::to_string(c) + " channel(s)");
    }
    bool size_ok = (w == static_cast<int64_t>(im.width()) && h == static_cast<int64_t>(im.height()));
    if (im.has_enumeratedsizes()) {
        size_ok = false;
        for (const auto& s : im.enumeratedsizes().sizes())
            size_ok = size_ok || (w == static_cast<int64_t>(s.width()) && h == static_cast<int64_t>(s.height()));
    } else if (im.has_imagesizerange()) {
        const auto& r = im.imagesizerange();
        size_ok = in_range(w, r.widthrange().lowerbound(), r.widthrange().upperbound()) &&
                  in_range(h, r.heightrange().lowerbound(), r.heightrange().upperbound());
    }
    if (!size_ok)
        fail(origin, d, "image is " + std::to_string(w) + " x " + std::to_string(h) + " (width x height), which the model does not accept");
}

void check_one(const std::string& origin, const spec::FeatureDescription& d, FeatureValue& v) {
    const auto& type = d.type();
    double number = 0;
    switch (type.Type_case()) {
        case spec::FeatureType::kInt64Type:
            if (std::holds_alternative<int64_t>(v)) return;
            if (single_number(v, number) && std::floor(number) == number && std::isfinite(number)) {
                v = static_cast<int64_t>(number);
                return;
            }
            fail(origin, d, "expected an integer, got " + feature_value_kind(v));
        case spec::FeatureType::kDoubleType:
            if (std::holds_alternative<double>(v)) return;
            if (single_number(v, number)) {
                v = number;
                return;
            }
            fail(origin, d, "expected a number, got " + feature_value_kind(v));
        case spec::FeatureType::kStringType:
            if (!std::holds_alternative<std::string>(v)) fail(origin, d, "expected a string, got " + feature_value_kind(v));
            return;
        case spec::FeatureType::kMultiArrayType: {
            auto* t = std::get_if<Tensor>(&v);
            if (!t) fail(origin, d, "expected a multi-array (numpy array), got " + feature_value_kind(v));
            if (!accepted_array_dtype(t->dtype()))
                fail(origin, d, std::string("arrays of ") + dtype_name(t->dtype()) +
                                    " are not accepted (Core ML takes float32, float64, float16, int32 or int8); "
                                    "convert it, e.g. with .astype(numpy.float32)");
            check_array_shape(origin, d, type.multiarraytype(), t->shape());
            const DType want = array_feature_dtype(type.multiarraytype().datatype());
            if (t->dtype() != want) *t = t->to(want);
            return;
        }
        case spec::FeatureType::kDictionaryType: {
            const bool want_string = type.dictionarytype().has_stringkeytype();
            if (auto* s = std::get_if<StringDictionary>(&v)) {
                if (want_string) return;
                if (s->empty()) { v = Int64Dictionary{}; return; }
                fail(origin, d, "dictionary has string keys, the model expects int64 keys");
            }
            if (std::holds_alternative<Int64Dictionary>(v)) {
                if (!want_string) return;
                fail(origin, d, "dictionary has int64 keys, the model expects string keys");
            }
            fail(origin, d, "expected a dictionary, got " + feature_value_kind(v));
        }
        case spec::FeatureType::kImageType: {
            auto* image = std::get_if<ImageValue>(&v);
            if (!image) fail(origin, d, "expected an image (PIL.Image), got " + feature_value_kind(v));
            check_image(origin, d, *image);
            return;
        }
        case spec::FeatureType::kSequenceType: {
            const auto& seq = type.sequencetype();
            size_t n = 0;
            if (seq.has_int64type()) {
                if (auto* s = std::get_if<StringSequence>(&v); s && s->empty()) v = Int64Sequence{};
                auto* ints = std::get_if<Int64Sequence>(&v);
                if (!ints) fail(origin, d, "expected a sequence of integers, got " + feature_value_kind(v));
                n = ints->size();
            } else {
                auto* strs = std::get_if<StringSequence>(&v);
                if (!strs) fail(origin, d, "expected a sequence of strings, got " + feature_value_kind(v));
                n = strs->size();
            }
            if (seq.has_sizerange() && !in_range(static_cast<int64_t>(n), static_cast<int64_t>(seq.sizerange().lowerbound()),
                                                 seq.sizerange().upperbound()))
                fail(origin, d, "sequence length " + std::to_string(n) + " is outside the allowed range");
            return;
        }
        default:
            fail(origin, d, "inputs of this feature type are not supported");
    }
}

}  // namespace

ModelInterface::ModelInterface(std::vector<spec::FeatureDescription> inputs, std::vector<spec::FeatureDescription> outputs,
                               std::vector<spec::FeatureDescription> states, std::string origin) {
    auto impl = std::make_shared<Impl>();
    impl->inputs = std::move(inputs);
    impl->outputs = std::move(outputs);
    impl->states = std::move(states);
    impl->origin = std::move(origin);
    impl_ = std::move(impl);
}

ModelInterface ModelInterface::from_description(const spec::ModelDescription& description, const std::string& function_name,
                                                const std::string& origin) {
    if (description.functions_size() == 0)
        return ModelInterface(to_vector(description.input()), to_vector(description.output()), to_vector(description.state()),
                              origin);
    const std::string wanted = function_name.empty() ? description.defaultfunctionname() : function_name;
    for (const auto& f : description.functions())
        if (f.name() == wanted) return ModelInterface(to_vector(f.input()), to_vector(f.output()), to_vector(f.state()), origin);
    throw Error(ErrorCode::InvalidArgument, origin + ": the model has no function named '" + wanted + "'");
}

const std::vector<spec::FeatureDescription>& ModelInterface::inputs() const { return impl_ ? impl_->inputs : kNone; }
const std::vector<spec::FeatureDescription>& ModelInterface::outputs() const { return impl_ ? impl_->outputs : kNone; }
const std::vector<spec::FeatureDescription>& ModelInterface::states() const { return impl_ ? impl_->states : kNone; }

const spec::FeatureDescription* ModelInterface::find_input(const std::string& name) const {
    for (const auto& d : inputs())
        if (d.name() == name) return &d;
    return nullptr;
}

const spec::FeatureDescription* ModelInterface::find_output(const std::string& name) const {
    for (const auto& d : outputs())
        if (d.name() == name) return &d;
    return nullptr;
}

void ModelInterface::check_inputs(FeatureMap& features) const {
    const std::string origin = impl_ ? impl_->origin : std::string("model");
    for (const auto& [name, value] : features) {
        if (find_input(name)) continue;
        std::string known;
        for (const auto& d : inputs()) known += (known.empty() ? "" : ", ") + d.name();
        throw Error(ErrorCode::InvalidArgument,
                    origin + ": '" + name + "' is not an input of this model (its inputs are: " + known + ")");
    }
    for (const auto& d : inputs()) {
        auto it = features.find(d.name());
        if (it == features.end() || std::holds_alternative<std::monostate>(it->second)) {
            if (d.type().isoptional()) {
                if (it != features.end()) features.erase(it);
                continue;
            }
            fail(origin, d, "missing: this input is required");
        }
        check_one(origin, d, it->second);
    }
}

}  // namespace opencoreml
