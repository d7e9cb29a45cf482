// opencoreml neural networks: translating a list of layers (a network, or the body of a branch
// or loop) into the writer's current block. It keeps the table of blobs visible so far, checks
// the graph the way Core ML does (each input produced earlier, no blob produced twice except by
// `copy`) and hands each layer to the translation registered for its kind; branch and loop
// layers, which contain networks, are translated here (control_flow.cpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "NeuralNetwork.pb.h"
#include "nn/mil_writer.hpp"

namespace opencoreml::nn {

using Layers = google::protobuf::RepeatedPtrField<CoreML::Specification::NeuralNetworkLayer>;

class GraphTranslator {
public:
    GraphTranslator(MilWriter& writer, std::string origin, bool rank5_inputs)
        : writer_(writer), origin_(std::move(origin)), rank5_inputs_(rank5_inputs) {}

    void define(const std::string& blob, const Var& value) { blobs_[blob] = value; }
    const std::map<std::string, Var>& blobs() const { return blobs_; }

    void translate(const Layers& layers);

    // Throws Error(NotImplemented) listing every layer kind of `layers` (and of the networks
    // nested in them) that cannot be translated, or naming a custom layer's class.
    static void check_supported(const Layers& layers, const std::string& origin);

private:
    void translate_layer(const Layers& layers, int index, const std::map<std::string, int>& producers);
    void translate_branch(const CoreML::Specification::NeuralNetworkLayer& layer, std::vector<Var> inputs);
    void translate_loop(const CoreML::Specification::NeuralNetworkLayer& layer, std::vector<Var> inputs);
    // A nested translator seeing this one's blobs (for the body of a branch or loop).
    GraphTranslator nested() const { return *this; }
    [[noreturn]] void fail(const std::string& problem) const;

    MilWriter& writer_;
    std::string origin_;
    bool rank5_inputs_;
    std::map<std::string, Var> blobs_;
};

}  // namespace opencoreml::nn
