// opencoreml ML programs: tensor lists — make_list, list_length, list_write, list_read,
// list_gather, list_scatter. Lists are values: writing returns a new list (the old one is
// left as it was), so a list can flow through while_loop iterations like any tensor.
//
// Element shape: make_list's elem_shape gives the rank and the known dims (symbolic dims are
// -1); the first write fills in the unknown ones and every write must match it. Without an
// elem_shape the first write sets it. Indices: negatives count from the end; reads must be in
// [0, length); a write at or past the end grows a dynamic list (the slots skipped stay
// unwritten) and is an error for a list of fixed length. An unwritten element reads as zeros
// once its shape is known, otherwise the read is an error.
#include <cstring>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

namespace {

// Guards against a corrupt index or init_length allocating (and touching) gigabytes of slots.
constexpr int64_t kMaxListLength = int64_t(1) << 24;

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

// indices[i]; negatives count from the end. Reads must fall in [0, length); writes may be
// past the end (write_item decides whether the list can grow).
int64_t index_of(RunContext& ctx, const Tensor& t, size_t i, int64_t length, bool for_write) {
    if (static_cast<int64_t>(i) >= t.numel()) ctx.fail("missing list index");
    const int64_t given = t.to(DType::Int64).data<int64_t>()[i];
    const int64_t index = given < 0 ? given + length : given;
    if (index < 0 || (!for_write && index >= length))
        ctx.fail("list index " + std::to_string(given) + " is out of range for a list of length " + std::to_string(length));
    return index;
}

std::string dims_to_string(const Shape& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
    return s + (shape.size() == 1 ? ",)" : ")");
}

Tensor element_or_zeros(RunContext& ctx, const ListValue& ls, int64_t i) {
    const Tensor& item = ls.items[static_cast<size_t>(i)];
    if (item.defined()) return item;
    for (int64_t d : ls.elem_shape)
        if (d < 0) ctx.fail("list element " + std::to_string(i) + " was read before it was written");
    return Tensor::zeros(ls.elem_dtype, ls.elem_shape);
}

void write_item(RunContext& ctx, ListValue& ls, int64_t index, const Tensor& value) {
    const int64_t length = static_cast<int64_t>(ls.items.size());
    if (index >= length) {
        if (!ls.dynamic_length)
            ctx.fail("list index " + std::to_string(index) + " is out of range for a list of fixed length " + std::to_string(length));
        if (index >= kMaxListLength)
            ctx.fail("list index " + std::to_string(index) + " is beyond the largest list length " + std::to_string(kMaxListLength));
        ls.items.resize(static_cast<size_t>(index) + 1);
    }
    const Shape& shape = value.shape();
    if (ls.elem_shape.empty()) {
        ls.elem_shape = shape;  // no declared shape (or scalar elements): the first write sets it
    } else {
        bool same = ls.elem_shape.size() == shape.size();
        for (size_t d = 0; same && d < shape.size(); ++d) same = ls.elem_shape[d] < 0 || ls.elem_shape[d] == shape[d];
        if (!same)
            ctx.fail("value of shape " + shape_to_string(shape) + " does not match the list's element shape " +
                     dims_to_string(ls.elem_shape));
        ls.elem_shape = shape;
    }
    ls.items[static_cast<size_t>(index)] = value.dtype() == ls.elem_dtype ? value.clone() : value.to(ls.elem_dtype);
}

std::unique_ptr<Kernel> make_make_list(const BuildContext& b) {
    const DType dtype = list_dtype(b.const_string("dtype", "fp32"), b);
    const bool dynamic = b.const_bool("dynamic_length", true);
    // A tuple of scalars (as coremltools writes it) or one shape vector. Symbolic (string)
    // dimensions are only known once an element is written.
    Shape elem_shape;
    for (size_t i = 0; i < b.input_count("elem_shape"); ++i) {
        const InputInfo& in = b.input("elem_shape", i);
        if (!in.const_value) {
            elem_shape.push_back(-1);
            continue;
        }
        const Tensor dims = in.const_value->to(DType::Int64);
        for (int64_t k = 0; k < dims.numel(); ++k) {
            const int64_t d = dims.data<int64_t>()[k];
            if (d < 0) b.fail("elem_shape has a negative dimension " + std::to_string(d));
            elem_shape.push_back(d);
        }
    }
    return make_kernel([dtype, dynamic, elem_shape](RunContext& ctx) {
        auto ls = std::make_shared<ListValue>();
        ls->elem_dtype = dtype;
        ls->elem_shape = elem_shape;
        ls->dynamic_length = dynamic;
        int64_t length = 1;
        if (ctx.has_input("init_length")) {
            const Tensor& init = ctx.input("init_length");
            if (init.numel() != 1) ctx.fail("init_length must be a single integer");
            length = init.to(DType::Int64).data<int64_t>()[0];
            if (length < 0 || length > kMaxListLength)
                ctx.fail("init_length must be in [0, " + std::to_string(kMaxListLength) + "], got " + std::to_string(length));
        }
        ls->items.resize(static_cast<size_t>(length));
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
        const Tensor& index_t = ctx.input("index");
        if (index_t.numel() != 1) ctx.fail("index must be a single integer");
        const int64_t index = index_of(ctx, index_t, 0, static_cast<int64_t>(ls->items.size()), true);
        write_item(ctx, *ls, index, ctx.input("value"));
        ctx.set_output(0, ls);
    });
}

std::unique_ptr<Kernel> make_list_read(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        const ListValue& ls = list_of(ctx);
        const Tensor& index_t = ctx.input("index");
        if (index_t.numel() != 1) ctx.fail("index must be a single integer");
        const int64_t index = index_of(ctx, index_t, 0, static_cast<int64_t>(ls.items.size()), false);
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
        for (int64_t d : elem)
            if (d < 0) ctx.fail("cannot gather from a list whose element shape " + dims_to_string(elem) + " is not known yet");
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
