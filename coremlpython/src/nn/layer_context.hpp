// opencoreml neural networks: what translating one layer sees — its input values, where its
// outputs go, its weights, op emission named after the layer, and errors that name it — and
// the registry of layer translations (one per layer kind, registered in the file that
// implements it, like MIL op kernels).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "NeuralNetwork.pb.h"
#include "nn/mil_writer.hpp"

namespace opencoreml::nn {

using Layer = CoreML::Specification::NeuralNetworkLayer;

class LayerContext {
public:
    LayerContext(MilWriter& writer, const Layer& layer, std::vector<Var> inputs, bool rank5_inputs, std::string origin);

    const Layer& layer() const { return layer_; }
    MilWriter& writer() { return writer_; }
    // True when the network maps array inputs to rank 5 ([Seq, Batch, C, H, W]).
    bool rank5_inputs() const { return rank5_inputs_; }

    size_t input_count() const { return inputs_.size(); }
    const Var& in(size_t index = 0) const;
    // Checks the layer has between `min` and `max` inputs and exactly `outputs` outputs
    // (max < 0: no upper bound; outputs < 0: any number).
    void require(int min_inputs, int max_inputs, int outputs) const;

    size_t output_count() const { return static_cast<size_t>(layer_.output_size()); }
    void set_out(size_t index, const Var& value);
    const std::vector<std::optional<Var>>& outputs() const { return outputs_; }

    // Weights decoded to float32 (see weights.hpp), as a tensor or as a program constant.
    Tensor weights(const CoreML::Specification::WeightParams& w, const Shape& shape, const std::string& what,
                   int channel_axis = 0) const;
    Var weight_const(const CoreML::Specification::WeightParams& w, const Shape& shape, const std::string& what,
                     int channel_axis = 0);

    // Appends an op named after this layer.
    Var op(const std::string& type, const std::vector<Arg>& args, const OutType& output);
    std::vector<Var> ops(const std::string& type, const std::vector<Arg>& args, const std::vector<OutType>& outputs);

    // Error(InvalidModel) / Error(NotImplemented) naming the model, the layer and its kind.
    [[noreturn]] void fail(const std::string& problem) const;
    [[noreturn]] void unsupported(const std::string& what) const;
    std::string where() const;

private:
    MilWriter& writer_;
    const Layer& layer_;
    std::vector<Var> inputs_;
    std::vector<std::optional<Var>> outputs_;
    bool rank5_inputs_;
    std::string origin_;
};

using LayerTranslation = void (*)(LayerContext& ctx);

void register_layer(int layer_case, LayerTranslation translation);
LayerTranslation find_layer(int layer_case);
// The proto field name of a layer kind ("innerProduct"), "#<n>" when unknown to this build.
std::string layer_kind_name(int layer_case);

}  // namespace opencoreml::nn

#define OCML_NN_CONCAT_INNER(a, b) a##b
#define OCML_NN_CONCAT(a, b) OCML_NN_CONCAT_INNER(a, b)
// OCML_REGISTER_NN_LAYER(kInnerProduct, translate_inner_product) in the translation's own file.
#define OCML_REGISTER_NN_LAYER(layer_case, translation)                                                   \
    namespace {                                                                                           \
    const bool OCML_NN_CONCAT(ocml_nn_layer_registered_, __LINE__) =                                      \
        (::opencoreml::nn::register_layer(                                                                \
             static_cast<int>(::CoreML::Specification::NeuralNetworkLayer::layer_case), translation),     \
         true);                                                                                           \
    }
