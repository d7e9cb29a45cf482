// opencoreml ML program ops: resizing the trailing axes of a tensor — upsample_nearest_neighbor,
// resize_nearest_neighbor, upsample_bilinear (iOS15, half_pixel_centers from iOS16),
// resize_bilinear and the iOS17 resize. Every op reduces to one 1-D plan per resized axis
// (linear taps or nearest indices) applied axis by axis, which is exactly separable bilinear.
#include <cmath>
#include <cstring>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/image/sampling_grid.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::image {
namespace {

struct AxisPlan {
    int64_t axis = 0;  // non-negative axis of x
    int64_t out = 0;   // output size along it
    bool linear = false;
    LinearTaps taps;              // linear
    std::vector<int64_t> index;   // nearest
};

bool is_identity(const AxisPlan& plan, int64_t in) {
    if (plan.out != in) return false;
    for (int64_t j = 0; j < plan.out; ++j) {
        if (plan.linear ? (plan.taps.lo[j] != j || plan.taps.frac[j] != 0.0f) : plan.index[j] != j) return false;
    }
    return true;
}

AxisPlan linear_plan(int64_t axis, int64_t in, int64_t out, SamplingMode mode) {
    AxisPlan p;
    p.axis = axis;
    p.out = out;
    p.linear = true;
    p.taps = linear_taps(sample_positions(mode, 0.0, static_cast<double>(in - 1), out), in);
    return p;
}

AxisPlan nearest_plan(int64_t axis, int64_t out, std::vector<int64_t> index) {
    AxisPlan p;
    p.axis = axis;
    p.out = out;
    p.index = std::move(index);
    return p;
}

// Splits `shape` around `axis` into [outer, in, inner].
void split_at(const Shape& shape, int64_t axis, int64_t& outer, int64_t& in, int64_t& inner) {
    outer = 1;
    inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
    in = shape[axis];
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
}

// Applies the plans to input "x" and writes output 0.
void run_plans(RunContext& ctx, const std::vector<AxisPlan>& plans) {
    const Tensor& x = ctx.input("x");
    Shape shape = x.shape();
    std::vector<const AxisPlan*> active;
    Shape out_shape = shape;
    for (const AxisPlan& p : plans) {
        int64_t others = 1;
        for (int64_t d = 0; d < x.rank(); ++d) others *= d == p.axis ? 1 : shape[d];
        if (shape[p.axis] == 0 && p.out > 0 && others > 0)
            ctx.fail("cannot resize an empty axis (axis " + std::to_string(p.axis) + " of shape " + shape_to_string(shape) + ") to size " + std::to_string(p.out));
        out_shape[p.axis] = p.out;
        if (!is_identity(p, shape[p.axis])) active.push_back(&p);
    }
    if (active.empty()) {  // every axis keeps its samples: the output is the input
        ctx.set_output(0, x);
        return;
    }
    bool any_linear = false;
    for (const AxisPlan* p : active) any_linear = any_linear || p->linear;

    if (!any_linear) {
        // Pure nearest: gather in the input's own dtype, no conversion.
        Tensor cur = x;
        for (size_t k = 0; k < active.size(); ++k) {
            const AxisPlan& p = *active[k];
            Shape next_shape = cur.shape();
            next_shape[p.axis] = p.out;
            Tensor next = k + 1 == active.size() ? ctx.allocate_output(0, x.dtype(), next_shape)
                                                 : ctx.scratch(x.dtype(), next_shape);
            int64_t outer, in, inner;
            split_at(cur.shape(), p.axis, outer, in, inner);
            gather_axis(cur.raw(), next.raw(), dtype_size(x.dtype()), outer, in, inner, p.index, ctx.threads());
            cur = next;
        }
        return;
    }

    Tensor cur = is_floating(x.dtype()) ? ctx.input_f32("x") : to_f32_tensor(x);
    const bool integer_out = !is_floating(ctx.output_dtype(0));
    std::unique_ptr<F32Output> result;
    for (size_t k = 0; k < active.size(); ++k) {
        const AxisPlan& p = *active[k];
        Shape next_shape = cur.shape();
        next_shape[p.axis] = p.out;
        Tensor next;
        if (k + 1 == active.size() && !integer_out) {
            result = std::make_unique<F32Output>(ctx, 0, next_shape);
            next = Tensor::wrap(DType::Float32, next_shape, result->data(), nullptr);
        } else {
            next = ctx.scratch(DType::Float32, next_shape);
        }
        int64_t outer, in, inner;
        split_at(cur.shape(), p.axis, outer, in, inner);
        if (p.linear) {
            lerp_axis(cur.data<float>(), next.data<float>(), outer, in, inner, p.taps, ctx.threads());
        } else {
            gather_axis(cur.raw(), next.raw(), sizeof(float), outer, in, inner, p.index, ctx.threads());
        }
        cur = next;
    }
    if (result) {
        result->commit();
        return;
    }
    // int32 resize (iOS17): interpolated values round to the nearest integer.
    Tensor& y = ctx.allocate_output(0, DType::Int32, out_shape);
    const float* src = cur.data<float>();
    int32_t* dst = y.data<int32_t>();
    for (int64_t i = 0, n = y.numel(); i < n; ++i) dst[i] = static_cast<int32_t>(std::lrint(src[i]));
}

void require_rank3(RunContext& ctx, const Tensor& x) {
    if (x.rank() < 3) ctx.fail("input x must have rank at least 3, got shape " + shape_to_string(x.shape()));
}

// ---- upsample_nearest_neighbor -------------------------------------------------------------

std::vector<int64_t> upsample_nearest_index(double scale, int64_t in, int64_t out) {
    std::vector<int64_t> index(static_cast<size_t>(out));
    for (int64_t j = 0; j < out; ++j)
        index[j] = std::min<int64_t>(static_cast<int64_t>(std::floor(j / scale)), in - 1);
    return index;
}

std::unique_ptr<Kernel> make_upsample_nearest(const BuildContext& b) {
    const double sh = b.const_float("scale_factor_height", 1.0), sw = b.const_float("scale_factor_width", 1.0);
    if (!(sh > 0) || !(sw > 0)) b.fail("scale factors must be positive");
    return make_kernel([sh, sw](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        require_rank3(ctx, x);
        const int64_t r = x.rank(), h = x.dim(-2), w = x.dim(-1);
        const int64_t ho = static_cast<int64_t>(std::floor(sh * h)), wo = static_cast<int64_t>(std::floor(sw * w));
        run_plans(ctx, {nearest_plan(r - 2, ho, upsample_nearest_index(sh, h, ho)),
                        nearest_plan(r - 1, wo, upsample_nearest_index(sw, w, wo))});
    });
}

// ---- resize_nearest_neighbor ---------------------------------------------------------------

std::vector<int64_t> resize_nearest_index(int64_t in, int64_t out) {
    std::vector<int64_t> index(static_cast<size_t>(out));
    for (int64_t j = 0; j < out; ++j) index[j] = std::min<int64_t>(j * in / out, in - 1);
    return index;
}

std::unique_ptr<Kernel> make_resize_nearest(const BuildContext& b) {
    const int64_t ho = b.const_int("target_size_height"), wo = b.const_int("target_size_width");
    if (ho < 0 || wo < 0) b.fail("target sizes must be non-negative");
    return make_kernel([ho, wo](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        require_rank3(ctx, x);
        const int64_t r = x.rank();
        run_plans(ctx, {nearest_plan(r - 2, ho, resize_nearest_index(x.dim(-2), ho)),
                        nearest_plan(r - 1, wo, resize_nearest_index(x.dim(-1), wo))});
    });
}

// ---- upsample_bilinear ---------------------------------------------------------------------

std::unique_ptr<Kernel> make_upsample_bilinear(const BuildContext& b) {
    const double sh = b.const_float("scale_factor_height", 1.0), sw = b.const_float("scale_factor_width", 1.0);
    if (!(sh > 0) || !(sw > 0)) b.fail("scale factors must be positive");
    const bool align = b.const_bool("align_corners", true);
    const bool half_pixel = b.const_bool("half_pixel_centers", !align);
    if (align && half_pixel) b.fail("align_corners and half_pixel_centers cannot both be true");
    const SamplingMode mode = upsample_mode(align, half_pixel);
    return make_kernel([sh, sw, mode](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        require_rank3(ctx, x);
        const int64_t r = x.rank(), h = x.dim(-2), w = x.dim(-1);
        const int64_t ho = static_cast<int64_t>(std::floor(sh * h)), wo = static_cast<int64_t>(std::floor(sw * w));
        run_plans(ctx, {linear_plan(r - 2, h, ho, mode), linear_plan(r - 1, w, wo, mode)});
    });
}

// ---- resize_bilinear -----------------------------------------------------------------------

std::unique_ptr<Kernel> make_resize_bilinear(const BuildContext& b) {
    const int64_t ho = b.const_int("target_size_height", 1), wo = b.const_int("target_size_width", 1);
    if (ho < 0 || wo < 0) b.fail("target sizes must be non-negative");
    const SamplingMode mode = parse_sampling_mode(b, b.const_string("sampling_mode", "DEFAULT"));
    return make_kernel([ho, wo, mode](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        require_rank3(ctx, x);
        const int64_t r = x.rank();
        run_plans(ctx, {linear_plan(r - 2, x.dim(-2), ho, mode), linear_plan(r - 1, x.dim(-1), wo, mode)});
    });
}

// ---- resize (iOS17) ------------------------------------------------------------------------

std::unique_ptr<Kernel> make_resize(const BuildContext& b) {
    const int64_t resized = b.const_int("resized_dims");
    const std::string interp = b.const_string("interpolation_mode", "LINEAR");
    if (interp != "LINEAR" && interp != "NEAREST_NEIGHBOR")
        b.fail("unknown interpolation_mode \"" + interp + "\" (expected LINEAR or NEAREST_NEIGHBOR)");
    const bool linear = interp == "LINEAR";
    const SamplingMode mode = parse_sampling_mode(b, b.const_string("sampling_mode", "DEFAULT"));
    if (resized < 0) b.fail("resized_dims must be non-negative");
    return make_kernel([resized, linear, mode](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const Tensor target = ctx.input("shape").to(DType::Int64);
        if (target.rank() != 1) ctx.fail("shape must be a 1-D tensor, got shape " + shape_to_string(target.shape()));
        const int64_t k = target.numel(), r = x.rank();
        if (resized > k) ctx.fail("resized_dims (" + std::to_string(resized) + ") exceeds the size of shape (" + std::to_string(k) + ")");
        if (k > r) ctx.fail("shape has " + std::to_string(k) + " elements but x has rank " + std::to_string(r));
        std::vector<AxisPlan> plans;
        for (int64_t j = 0; j < resized; ++j) {
            const int64_t axis = r - resized + j;
            const int64_t in = x.dim(axis);
            int64_t out = target.data<int64_t>()[k - resized + j];
            if (out == 0) out = in;  // 0 keeps the input's size
            if (out < 0) ctx.fail("shape holds a negative size");
            if (linear) {
                plans.push_back(linear_plan(axis, in, out, mode));
            } else {
                auto positions = sample_positions(mode, 0.0, static_cast<double>(in - 1), out);
                plans.push_back(nearest_plan(axis, out, nearest_indices(positions, in, mode == SamplingMode::Default)));
            }
        }
        run_plans(ctx, plans);
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("upsample_nearest_neighbor", kIOS15, make_upsample_nearest)
OCML_REGISTER_MIL_OP("resize_nearest_neighbor", kIOS15, make_resize_nearest)
OCML_REGISTER_MIL_OP("upsample_bilinear", kIOS15, make_upsample_bilinear)
OCML_REGISTER_MIL_OP("resize_bilinear", kIOS15, make_resize_bilinear)
OCML_REGISTER_MIL_OP("resize", kIOS17, make_resize)

}  // namespace opencoreml::mil::image
