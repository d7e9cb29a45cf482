// opencoreml neural networks: translating a list of layers (a network, or the body of a branch
// or loop) into the writer's current block. It keeps the table of blobs visible so far, checks
// the graph the way Core ML does (each input produced earlier, no blob produced twice except by
// `copy`) and hands each layer to the translation registered for its kind; branch and loop
// layers, which contain networks, are translated here (control_flow.cpp), and so are
// loopBreak / loopContinue (loop_jumps.cpp).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "NeuralNetwork.pb.h"
#include "nn/mil_writer.hpp"

namespace opencoreml::nn {

using Layers = google::protobuf::RepeatedPtrField<CoreML::Specification::NeuralNetworkLayer>;

class LayerContext;

class GraphTranslator {
public:
    GraphTranslator(MilWriter& writer, std::string origin, bool rank5_inputs)
        : writer_(writer), origin_(std::move(origin)), rank5_inputs_(rank5_inputs) {}

    void define(const std::string& blob, const Var& value) { blobs_[blob] = value; }
    const std::map<std::string, Var>& blobs() const { return blobs_; }
    // Blobs read after the layers being translated (the network's outputs, at the top): a loop
    // whose body creates one of them carries it out of the loop.
    void expect_reads(std::set<std::string> blobs) { reads_after_ = std::move(blobs); }

    void translate(const Layers& layers);

    // Throws Error(NotImplemented) listing every layer kind of `layers` (and of the networks
    // nested in them) that cannot be translated, or naming a custom layer's class.
    static void check_supported(const Layers& layers, const std::string& origin);

private:
    // Break/continue state while translating the body of a loop that has loopBreak or
    // loopContinue layers (MIL's while_loop has neither): what runs after one is guarded by a
    // cond, and a carried flag ends the loop after a break.
    struct LoopFlags {
        int state = 0;    // 0: none can have run yet; 1: one has run; -1: known at run time
        Var stop, broke;  // bool scalars: a break or continue ran / a break ran (state != 0)
        Var yes, no;      // bool constants of the body block
        Var stop_value() const { return state == 0 ? no : state == 1 ? yes : stop; }
        Var break_value() const { return state == 0 ? no : broke; }
    };
    // One path out of a cond (a branch side, or a guarded rest of a loop body).
    struct Path {
        std::map<std::string, Var> blobs, fallback;
        std::optional<LoopFlags> flags;
    };

    void translate_from(const Layers& layers, int start, const std::map<std::string, int>& producers);
    void translate_layer(const Layers& layers, int index, const std::map<std::string, int>& producers);
    void translate_branch(const CoreML::Specification::NeuralNetworkLayer& layer, std::vector<Var> inputs);
    void translate_loop(const CoreML::Specification::NeuralNetworkLayer& layer, std::vector<Var> inputs);
    void translate_jump(const CoreML::Specification::NeuralNetworkLayer& layer, std::vector<Var> inputs);
    // The condition network's run after a loop's last iteration (Core ML's loop ends with one),
    // skipped when `broken` (the loop's final break flag, if it has loopBreak layers) is true;
    // `carried_out` are blobs the loop carried although its networks create them.
    void condition_after_loop(LayerContext& ctx, const Var* broken, const std::set<std::string>& carried_out);
    // The layers from `start` on, run only when no break or continue ran before them.
    void guard_rest(const Layers& layers, int start, const std::map<std::string, int>& producers);
    // Declares the outputs of a cond whose two blocks (both closed) ended in `paths`: the blobs
    // either path changed that both define (or that the loop carries), and the loop flags when
    // a path changed them; binds the results in this translator.
    void join_paths(LayerContext& ctx, MilWriter::OpHandle op, const Path (&paths)[2]);
    // Types of the blobs named in `names` that the loop's networks create, by translating them
    // once into a scratch program (shapes as in the first iteration: the zeros a loop that
    // runs zero times leaves in them).
    std::map<std::string, OutType> probe_loop(const CoreML::Specification::NeuralNetworkLayer& layer,
                                              const std::set<std::string>& names) const;
    // A nested translator seeing this one's blobs (for the body of a branch or loop).
    GraphTranslator nested() const {
        GraphTranslator inner = *this;
        inner.reads_after_ = later_;
        return inner;
    }
    Path path() const { return Path{blobs_, fallback_, flags_}; }
    [[noreturn]] void fail(const std::string& problem) const;

    MilWriter& writer_;
    std::string origin_;
    bool rank5_inputs_;
    std::map<std::string, Var> blobs_;
    // Blobs a loop carries although its body creates them (they are read after the loop): the
    // value they hold when the body has not (yet) set them. Not readable as inputs.
    std::map<std::string, Var> fallback_;
    std::optional<LoopFlags> flags_;
    std::set<std::string> reads_after_;  // blobs read after the list being translated
    std::set<std::string> later_;        // blobs read after the layer being translated
    bool probe_ = false;                 // translating into a scratch program for types only
};

}  // namespace opencoreml::nn
