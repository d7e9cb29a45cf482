// opencoreml neural networks: the ML program writer (see mil_writer.hpp).
#include "nn/mil_writer.hpp"

#include <algorithm>

namespace opencoreml::nn {

namespace milspec = CoreML::Specification::MILSpec;

namespace {

milspec::DataType mil_dtype(DType dtype) {
    switch (dtype) {
        case DType::Bool: return milspec::BOOL;
        case DType::Float16: return milspec::FLOAT16;
        case DType::Float64: return milspec::FLOAT64;
        case DType::Int8: return milspec::INT8;
        case DType::UInt8: return milspec::UINT8;
        case DType::Int16: return milspec::INT16;
        case DType::UInt16: return milspec::UINT16;
        case DType::Int32: return milspec::INT32;
        case DType::Int64: return milspec::INT64;
        default: return milspec::FLOAT32;
    }
}

void set_tensor_type(milspec::ValueType& type, milspec::DataType dtype, const Shape& shape) {
    auto* t = type.mutable_tensortype();
    t->set_datatype(dtype);
    t->set_rank(static_cast<int64_t>(shape.size()));
    for (int64_t d : shape) {
        auto* dim = t->add_dimensions();
        if (d >= 0) dim->mutable_constant()->set_size(static_cast<uint64_t>(d));
        else dim->mutable_unknown()->set_variadic(false);
    }
}

milspec::Value string_value(const std::string& s) {
    milspec::Value v;
    set_tensor_type(*v.mutable_type(), milspec::STRING, {});
    v.mutable_immediatevalue()->mutable_tensor()->mutable_strings()->add_values(s);
    return v;
}

}  // namespace

bool Var::shape_known() const {
    return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

int64_t Var::dim(int64_t axis) const {
    const int64_t r = rank();
    if (axis < 0) axis += r;
    return axis >= 0 && axis < r ? shape[static_cast<size_t>(axis)] : -1;
}

MilWriter::MilWriter() {
    program_.set_version(1);
    function_ = &(*program_.mutable_functions())["main"];
    function_->set_opset("CoreML7");
    blocks_.push_back(&(*function_->mutable_block_specializations())["CoreML7"]);
}

std::string MilWriter::fresh_name() { return "v" + std::to_string(counter_++); }

Var MilWriter::input(const std::string& name, DType dtype, const Shape& shape) {
    auto* in = function_->add_inputs();
    in->set_name(name);
    set_tensor_type(*in->mutable_type(), mil_dtype(dtype), shape);
    return Var{name, dtype, shape};
}

Var MilWriter::constant(const Tensor& value) {
    const std::string name = fresh_name();
    auto* op = current().add_operations();
    op->set_type("const");
    auto* out = op->add_outputs();
    out->set_name(name);
    set_tensor_type(*out->mutable_type(), mil_dtype(value.dtype()), value.shape());
    constants_[name] = value;
    return Var{name, value.dtype(), value.shape()};
}

Var MilWriter::ints(const std::vector<int64_t>& values) {
    Tensor t = Tensor::empty(DType::Int32, {static_cast<int64_t>(values.size())});
    std::transform(values.begin(), values.end(), t.data<int32_t>(), [](int64_t v) { return static_cast<int32_t>(v); });
    return constant(t);
}

Var MilWriter::int_scalar(int64_t value) { return constant(Tensor::scalar<int32_t>(static_cast<int32_t>(value))); }

Var MilWriter::float_scalar(float value) { return constant(Tensor::scalar<float>(value)); }

Var MilWriter::bool_scalar(bool value) { return constant(Tensor::scalar<bool>(value)); }

Var MilWriter::bools(const std::vector<bool>& values) {
    Tensor t = Tensor::empty(DType::Bool, {static_cast<int64_t>(values.size())});
    std::copy(values.begin(), values.end(), t.data<bool>());
    return constant(t);
}

Var MilWriter::string(const std::string& value) {
    const std::string name = fresh_name();
    auto* op = current().add_operations();
    op->set_type("const");
    auto* out = op->add_outputs();
    out->set_name(name);
    set_tensor_type(*out->mutable_type(), milspec::STRING, {});
    (*op->mutable_attributes())["val"] = string_value(value);
    return Var{name, DType::UInt8, {}};
}

MilWriter::OpHandle MilWriter::open_op(const std::string& type, const std::string& name, const std::vector<Arg>& args) {
    auto* op = current().add_operations();
    op->set_type(type);
    (*op->mutable_attributes())["name"] = string_value(name);
    for (const Arg& arg : args) {
        auto& bound = (*op->mutable_inputs())[arg.param];
        for (const Var& v : arg.values) bound.add_arguments()->set_name(v.name);
    }
    return op;
}

std::vector<Var> MilWriter::begin_block(OpHandle op, const std::vector<OutType>& inputs) {
    auto* block = op->add_blocks();
    std::vector<Var> vars;
    for (const OutType& t : inputs) {
        auto* in = block->add_inputs();
        in->set_name(fresh_name());
        set_tensor_type(*in->mutable_type(), mil_dtype(t.dtype), t.shape);
        vars.push_back(Var{in->name(), t.dtype, t.shape});
    }
    blocks_.push_back(block);
    return vars;
}

void MilWriter::end_block(const std::vector<Var>& outputs) {
    for (const Var& v : outputs) current().add_outputs(v.name);
    blocks_.pop_back();
}

std::vector<Var> MilWriter::close_op(OpHandle op, const std::vector<OutType>& outputs) {
    std::vector<Var> result;
    for (const OutType& o : outputs) {
        const std::string out_name = fresh_name();
        auto* out = op->add_outputs();
        out->set_name(out_name);
        set_tensor_type(*out->mutable_type(), mil_dtype(o.dtype), o.shape);
        result.push_back(Var{out_name, o.dtype, o.shape});
    }
    return result;
}

std::vector<Var> MilWriter::op(const std::string& type, const std::string& name, const std::vector<Arg>& args,
                               const std::vector<OutType>& outputs) {
    return close_op(open_op(type, name, args), outputs);
}

Var MilWriter::op(const std::string& type, const std::string& name, const std::vector<Arg>& args, const OutType& output) {
    return op(type, name, args, std::vector<OutType>{output})[0];
}

void MilWriter::output(const Var& value) {
    auto& main = *blocks_.front();
    if (std::find(main.outputs().begin(), main.outputs().end(), value.name) == main.outputs().end())
        main.add_outputs(value.name);
}

}  // namespace opencoreml::nn
