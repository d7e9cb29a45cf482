// opencoreml neural networks: LayerContext and the layer-translation registry.
#include "nn/layer_context.hpp"

#include <map>

#include "nn/weights.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::nn {

namespace {

std::map<int, LayerTranslation>& registry() {
    static std::map<int, LayerTranslation> translations;
    return translations;
}

}  // namespace

void register_layer(int layer_case, LayerTranslation translation) { registry()[layer_case] = translation; }

LayerTranslation find_layer(int layer_case) {
    auto it = registry().find(layer_case);
    return it == registry().end() ? nullptr : it->second;
}

LayerContext::LayerContext(MilWriter& writer, const Layer& layer, std::vector<Var> inputs, bool rank5_inputs,
                           std::string origin)
    : writer_(writer), layer_(layer), inputs_(std::move(inputs)), outputs_(static_cast<size_t>(layer.output_size())),
      rank5_inputs_(rank5_inputs), origin_(std::move(origin)) {}

const Var& LayerContext::in(size_t index) const {
    if (index >= inputs_.size()) fail("needs input " + std::to_string(index + 1) + " but has " + std::to_string(inputs_.size()));
    return inputs_[index];
}

void LayerContext::require(int min_inputs, int max_inputs, int outputs) const {
    const int n = static_cast<int>(inputs_.size());
    if (n < min_inputs || (max_inputs >= 0 && n > max_inputs)) {
        const std::string expected = min_inputs == max_inputs ? std::to_string(min_inputs)
                                     : max_inputs < 0         ? "at least " + std::to_string(min_inputs)
                                                              : std::to_string(min_inputs) + " to " + std::to_string(max_inputs);
        fail("takes " + expected + " input(s), got " + std::to_string(n));
    }
    if (outputs >= 0 && layer_.output_size() != outputs)
        fail("produces " + std::to_string(outputs) + " output(s), got " + std::to_string(layer_.output_size()));
}

void LayerContext::set_out(size_t index, const Var& value) {
    if (index >= outputs_.size()) fail("has no output " + std::to_string(index + 1));
    outputs_[index] = value;
}

Tensor LayerContext::weights(const CoreML::Specification::WeightParams& w, const Shape& shape, const std::string& what,
                             int channel_axis) const {
    return load_weights(w, shape, where() + " " + what, channel_axis);
}

Var LayerContext::weight_const(const CoreML::Specification::WeightParams& w, const Shape& shape, const std::string& what,
                               int channel_axis) {
    return writer_.constant(weights(w, shape, what, channel_axis));
}

Var LayerContext::op(const std::string& type, const std::vector<Arg>& args, const OutType& output) {
    return writer_.op(type, layer_.name(), args, output);
}

std::vector<Var> LayerContext::ops(const std::string& type, const std::vector<Arg>& args, const std::vector<OutType>& outputs) {
    return writer_.op(type, layer_.name(), args, outputs);
}

std::string LayerContext::where() const {
    return origin_ + ": layer '" + layer_.name() + "' (" + layer_kind_name(static_cast<int>(layer_.layer_case())) + ")";
}

void LayerContext::fail(const std::string& problem) const { throw Error(ErrorCode::InvalidModel, where() + ": " + problem); }

void LayerContext::unsupported(const std::string& what) const {
    throw Error(ErrorCode::NotImplemented, where() + ": " + what + " is not supported by this build");
}

}  // namespace opencoreml::nn
