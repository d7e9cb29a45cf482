// opencoreml neural networks: translating a network into an ML program for the MIL engine —
// its inputs, its layer graph (graph_translator.hpp; every unsupported layer kind is listed in
// one error before anything is translated) and the blobs the predictor reads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "Model.pb.h"
#include "nn/mil_writer.hpp"

namespace opencoreml::nn {

// The parts that neuralNetwork, neuralNetworkClassifier and neuralNetworkRegressor share.
struct NetworkSpec {
    const google::protobuf::RepeatedPtrField<CoreML::Specification::NeuralNetworkLayer>& layers;
    const google::protobuf::RepeatedPtrField<CoreML::Specification::NeuralNetworkPreprocessing>& preprocessing;
    CoreML::Specification::NeuralNetworkMultiArrayShapeMapping array_mapping;
    CoreML::Specification::NeuralNetworkImageShapeMapping image_mapping;
};

template <typename Net>
NetworkSpec network_spec(const Net& net) {
    return NetworkSpec{net.layers(), net.preprocessing(), net.arrayinputshapemapping(), net.imageinputshapemapping()};
}

// How one model input enters the program: its feature name is the program input's name.
struct InputBinding {
    std::string feature;
    bool image = false;
    bool rank5 = false;  // arrays: [C] / [C, H, W] become [1, 1, C, H, W]; images: [1, 1, C, H, W]
    Shape shape;         // the program input's shape (-1 for flexible dims)
};

struct TranslatedNetwork {
    MilWriter writer;  // not movable in practice: it points into its own program
    std::vector<InputBinding> inputs;
    std::map<std::string, Var> outputs;  // blob name -> program output
};

// Translates the network. `wanted` are the blobs the predictor reads (described outputs that
// are blobs, a classifier's probability blob); each must exist.
std::unique_ptr<TranslatedNetwork> translate_network(const NetworkSpec& net, const CoreML::Specification::ModelDescription& description,
                                    const std::vector<std::string>& wanted, const std::string& origin);

}  // namespace opencoreml::nn
