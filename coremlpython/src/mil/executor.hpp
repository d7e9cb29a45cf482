// opencoreml ML programs: running blocks of a loaded function. A Frame holds the values of
// one predict; buffers come from the predictor's BufferPool and go back to it as soon as a
// value's last consumer has run.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "mil/buffer_pool.hpp"
#include "mil/op_profiler.hpp"
#include "mil/program.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

struct ExecEnv {
    const LoadedFunction& function;
    BufferPool& pool;
    ThreadPool& threads;
    std::string origin;
    OpProfiler* profiler = nullptr;  // times every op when set (OPENCOREML_PROFILE)
};

class Frame {
public:
    explicit Frame(size_t value_count) : values(value_count) {}
    std::vector<RtValue> values;
};

// Runs `block` with its inputs bound to `block_inputs`; returns the block's outputs.
std::vector<RtValue> run_block(const Block& block, const std::vector<RtValue>& block_inputs, Frame& frame,
                               const ExecEnv& env);

// Runs one node whose inputs are all constants at load time and returns its outputs.
std::vector<RtValue> fold_node(const Node& node, const ExecEnv& env);

}  // namespace opencoreml::mil
