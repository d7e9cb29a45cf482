// opencoreml neural networks: loopBreak and loopContinue. MIL's while_loop has neither, so a
// loop body that has them is translated with flags (GraphTranslator::LoopFlags): a jump sets
// "stop" (and "broken" for a break) and makes the rest of its list unreachable; after a branch
// that may have jumped, the rest of the body runs inside a cond on "stop" that passes the old
// values on when it is set. The loop carries "broken" and its condition block stops on it
// (control_flow.cpp). A continue still counts as an iteration.
#include "nn/graph_translator.hpp"
#include "nn/layer_context.hpp"

namespace opencoreml::nn {

using L = CoreML::Specification::NeuralNetworkLayer;

void GraphTranslator::translate_jump(const L& layer, std::vector<Var> inputs) {
    LayerContext ctx(writer_, layer, std::move(inputs), rank5_inputs_, origin_);
    ctx.require(0, 0, 0);
    if (!flags_) ctx.fail("must be in the body network of a loop (not in a condition network or outside loops)");
    flags_->state = 1;
    flags_->stop = flags_->yes;
    flags_->broke = layer.layer_case() == L::kLoopBreak ? flags_->yes : flags_->no;
}

void GraphTranslator::guard_rest(const Layers& layers, int start, const std::map<std::string, int>& producers) {
    const L& first = layers[start];
    LayerContext ctx(writer_, first, {}, rank5_inputs_, origin_);
    const MilWriter::OpHandle op = writer_.open_op("cond", first.name() + "/unless_jumped", {{"pred", flags_->stop}});
    Path paths[2];
    writer_.begin_block(op, {});  // a break or continue ran: everything stays as it is
    paths[0] = path();
    writer_.end_block({});
    writer_.begin_block(op, {});
    GraphTranslator rest = *this;
    rest.flags_->state = 0;
    rest.translate_from(layers, start, producers);
    paths[1] = rest.path();
    writer_.end_block({});
    join_paths(ctx, op, paths);
}

}  // namespace opencoreml::nn
