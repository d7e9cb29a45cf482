// opencoreml ML programs: tensor lists — make_list, list_length, list_write, list_read,
// list_gather, list_scatter. Lists are values: writing returns a new list (the old one is
// left as it was), so a list can flow through while_loop iterations like any tensor.
#include <cstring>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

namespace {

DType list_dtype(const std::string& name, const BuildContext& b) {
    if (name == "fp32") return DType::Float32;
    if (name == "fp16") return DType::Float16;
    if (name == "int32") return DType::Int32;
    if (name == "bool") return DType::Bool;
    b.fail("unsupported list dtype '" + name + "'");
}

const ListValue& list_of(RunContext& ctx) {
    const auto* ls = std::get_if<std::shared_ptr<ListValue>>(&ctx.input_value("ls"));
    if (!ls || !*ls) ctx.fail("input 'ls' is not a list");
    return **ls;
}

int64_t index_of(RunContext& ctx, const Tensor& t, size_t i, int64_t length, bool allow_append) {
    int64_t index = t.to(DType::Int64).data<int64_t>()[i];
    if (index < 0) index += length;
    if (index < 0 || index > length || (!allow_append && index == length))
        ctx.fail("list index " + std::to_string(index) + " is out of range for a list of length " + std::to_string(length));
    return index;
}

Tensor element_or_zeros(RunContext& ctx, const ListValue& ls, int64_t i) {
    const Tensor& item = ls.items[static_cast<size_t>(i)];
    if (item.defined()) return item;
    for (int64_t d : ls.elem_shape)
        if (d < 0) ctx.fail("list element " + std::to_string(i) + " was read before it was written");
    return Tensor::zeros(ls.elem_dtype, ls.elem_shape);
}

void write_item(RunContext& ctx, ListValue& ls, int64_t index, const Tensor& value) {
    if (index == static_cast<int64_t>(ls.items.size())) {
        if (!ls.dynamic_length) ctx.fail("cannot grow a list of fixed length");
        ls.items.emplace_back();
    }
    ls.items[static_cast<size_t>(index)] = value.dtype() == ls.elem_dtype ? value.clone() : value.to(ls.elem_dtype);
    if (ls.elem_shape.empty() || ls.elem_shape.size() != value.shape().size()) ls.elem_shape = value.shape();
}

std::unique_ptr<Kernel> make_make_list(const BuildContext& b) {
    const DType dtype = list_dtype(b.const_string("dtype", "fp32"), b);
    const bool dynamic = b.const_bool("dynamic_length", true);
    Shape elem_shape;
    for (size_t i = 0; i < b.input_count("elem_shape"); ++i) {
        const InputInfo& in = b.input("elem_shape", i);
        // Symbolic (string) dimensions are only known once an element is written.
        elem_shape.push_back(in.const_value ? static_cast<int64_t>(in.const_value->to(DType::Int64).data<int64_t>()[0]) : -1);
    }
    return make_kernel([dtype, dynamic, elem_shape](RunContext& ctx) {
        auto ls = std::make_shared<ListValue>();
        ls->elem_dtype = dtype;
        ls->elem_shape = elem_shape;
        ls->dynamic_length = dynamic;
        const int64_t length = ctx.has_input("init_length") ? ctx.input("init_length").to(DType::Int64).data<int64_t>()[0] : 1;
        ls->items.resize(static_cast<size_t>(length < 0 ? 0 : length));
        ctx.set_output(0, ls);
    });
}

std::unique_ptr<Kernel> make_list_length(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        Tensor& out = ctx.allocate_output(0, DType::Int32, {});
        out.data<int32_t>()[0] = static_cast<int32_t>(list_of(ctx).items.size());
    });
}

std::unique_ptr<Kernel> make_list_write(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        auto ls = std::make_shared<ListValue>(list_of(ctx));
        const int64_t index = index_of(ctx, ctx.input("index"), 0, static_cast<int64_t>(ls->items.size()), true);
        write_item(ctx, *ls, index, ctx.input("value"));
        ctx.set_output(0, ls);
    });
}

std::unique_ptr<Kernel> make_list_read(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        const ListValue& ls = list_of(ctx);
        const int64_t index = index_of(ctx, ctx.input("index"), 0, static_cast<int64_t>(ls.items.size()), false);
        ctx.set_output(0, element_or_zeros(ctx, ls, index));
    });
}

std::unique_ptr<Kernel> make_list_gather(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        const ListValue& ls = list_of(ctx);
        const Tensor& indices = ctx.input("indices");
        const int64_t n = indices.numel();
        std::vector<Tensor> items;
        for (int64_t i = 0; i < n; ++i)
            items.push_back(element_or_zeros(ctx, ls, index_of(ctx, indices, static_cast<size_t>(i), static_cast<int64_t>(ls.items.size()), false)));
        Shape shape{n};
        const Shape elem = items.empty() ? ls.elem_shape : items[0].shape();
        shape.insert(shape.end(), elem.begin(), elem.end());
        Tensor& out = ctx.allocate_output(0, ls.elem_dtype, shape);
        uint8_t* dst = static_cast<uint8_t*>(out.raw());
        for (const Tensor& item : items) {
            if (item.shape() != elem) ctx.fail("list elements have different shapes");
            std::memcpy(dst, item.raw(), item.nbytes());
            dst += item.nbytes();
        }
    });
}

std::unique_ptr<Kernel> make_list_scatter(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        auto ls = std::make_shared<ListValue>(list_of(ctx));
        const Tensor& indices = ctx.input("indices");
        const Tensor& value = ctx.input("value");
        const int64_t n = indices.numel();
        if (value.rank() < 1 || value.dim(0) != n) ctx.fail("'value' must have one slice per index");
        Shape elem(value.shape().begin() + 1, value.shape().end());
        const size_t slice = static_cast<size_t>(shape_numel(elem)) * dtype_size(value.dtype());
        for (int64_t i = 0; i < n; ++i) {
            const int64_t index = index_of(ctx, indices, static_cast<size_t>(i), static_cast<int64_t>(ls->items.size()), true);
            Tensor item = Tensor::empty(value.dtype(), elem);
            std::memcpy(item.raw(), static_cast<const uint8_t*>(value.raw()) + slice * static_cast<size_t>(i), slice);
            write_item(ctx, *ls, index, item);
        }
        ctx.set_output(0, ls);
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("make_list", kIOS15, make_make_list)
OCML_REGISTER_MIL_OP("list_length", kIOS15, make_list_length)
OCML_REGISTER_MIL_OP("list_write", kIOS15, make_list_write)
OCML_REGISTER_MIL_OP("list_read", kIOS15, make_list_read)
OCML_REGISTER_MIL_OP("list_gather", kIOS15, make_list_gather)
OCML_REGISTER_MIL_OP("list_scatter", kIOS15, make_list_scatter)

}  // namespace opencoreml::mil
