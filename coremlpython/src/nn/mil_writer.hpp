// opencoreml neural networks: writing the ML program a network is translated into — one
// function "main" (opset iOS17) appended op by op. Weights stay aside as ready tensors that
// the program loader takes over without copying (ProgramSource::preset_constants).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "MIL.pb.h"
#include "opencoreml/tensor.hpp"

namespace opencoreml::nn {

// A value of the program being written and what is known of it at load: the rank always,
// each dim when it does not depend on run-time input sizes (-1 otherwise).
struct Var {
    std::string name;
    DType dtype = DType::Float32;
    Shape shape;

    int64_t rank() const { return static_cast<int64_t>(shape.size()); }
    bool shape_known() const;
    // Dim `axis` (negative counts from the end); -1 when unknown.
    int64_t dim(int64_t axis) const;
};

// One parameter of an op bound to one value, or to a list of values (variadic parameters).
struct Arg {
    Arg(std::string param, Var value) : param(std::move(param)), values{std::move(value)} {}
    Arg(std::string param, std::vector<Var> values) : param(std::move(param)), values(std::move(values)) {}
    std::string param;
    std::vector<Var> values;
};

// Declared type of an op output.
struct OutType {
    DType dtype = DType::Float32;
    Shape shape;  // rank always; -1 for dims unknown at load
};

class MilWriter {
public:
    MilWriter();
    MilWriter(const MilWriter&) = delete;  // holds pointers into its own program
    MilWriter& operator=(const MilWriter&) = delete;

    Var input(const std::string& name, DType dtype, const Shape& shape);

    // Constants. `constant` keeps the tensor aside (weights); the small ones are inline.
    Var constant(const Tensor& value);
    Var ints(const std::vector<int64_t>& values);  // int32 vector
    Var int_scalar(int64_t value);
    Var float_scalar(float value);
    Var bool_scalar(bool value);
    Var bools(const std::vector<bool>& values);
    Var string(const std::string& value);

    // Appends op `type`; `name` is what errors call it (the layer's name, with a suffix when
    // a layer becomes several ops).
    std::vector<Var> op(const std::string& type, const std::string& name, const std::vector<Arg>& args,
                        const std::vector<OutType>& outputs);
    Var op(const std::string& type, const std::string& name, const std::vector<Arg>& args, const OutType& output);

    // Control flow: an op with nested blocks. open_op appends the op without outputs;
    // begin_block opens one of its blocks (with block inputs of the given types) and makes it
    // the block ops go to until end_block, which sets that block's outputs; close_op then
    // declares the op's outputs.
    using OpHandle = CoreML::Specification::MILSpec::Operation*;
    OpHandle open_op(const std::string& type, const std::string& name, const std::vector<Arg>& args);
    std::vector<Var> begin_block(OpHandle op, const std::vector<OutType>& inputs);
    void end_block(const std::vector<Var>& outputs);
    std::vector<Var> close_op(OpHandle op, const std::vector<OutType>& outputs);

    // Marks values as outputs of the function (the executor keeps them to the end).
    void output(const Var& value);

    const CoreML::Specification::MILSpec::Program& program() const { return program_; }
    const std::map<std::string, Tensor>& constants() const { return constants_; }

private:
    std::string fresh_name();
    CoreML::Specification::MILSpec::Block& current() { return *blocks_.back(); }

    CoreML::Specification::MILSpec::Program program_;
    CoreML::Specification::MILSpec::Function* function_ = nullptr;
    std::vector<CoreML::Specification::MILSpec::Block*> blocks_;  // open blocks, innermost last
    std::map<std::string, Tensor> constants_;
    int64_t counter_ = 0;
};

}  // namespace opencoreml::nn
