// opencoreml neural networks: region layers — cropResize (bilinear crops of boxes from a
// [1, Batch, C, H, W] feature map, boxes [N, 1, 4 or 5, 1, 1]) and NonMaximumSuppression
// (boxes [B, N, 4] as x/y centre, width, height; scores [B, N, C]) — on the iOS15 definitions
// of MIL crop_resize and non_maximum_suppression (nn/ops/ios15_ops.cpp; with parameters given
// as inputs, nn/ops/nn_runtime_params.cpp). Outputs that are
// indices or counts are floats, as every NN blob is.
#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

void translate_crop_resize(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const auto& p = ctx.layer().cropresize();
    const Var& x = ctx.in(0);
    const Var& roi = ctx.in(1);
    if (x.rank() != 5) ctx.fail("needs a rank-5 input [1, Batch, C, H, W], got " + shape_to_string(x.shape));
    if (roi.rank() != 5) ctx.fail("needs rank-5 boxes [N, 1, 4 or 5, 1, 1], got " + shape_to_string(roi.shape));
    int64_t h = 1, wd = 1;
    if (p.targetsize_size()) {
        if (p.targetsize_size() != 2) ctx.fail("targetSize must have 2 values [H, W]");
        h = static_cast<int64_t>(p.targetsize(0));
        wd = static_cast<int64_t>(p.targetsize(1));
    }
    static const char* sampling[] = {"STRICT_ALIGN_CORNERS", "ALIGN_CORNERS", "DEFAULT", "OFFSET_CORNERS"};
    static const char* boxes[] = {"CORNERS_HEIGHT_FIRST", "CORNERS_WIDTH_FIRST", "CENTER_SIZE_HEIGHT_FIRST",
                                  "CENTER_SIZE_WIDTH_FIRST"};
    const int mode = p.mode().samplingmethod(), box_mode = p.boxindicesmode().boxmode();
    if (mode < 0 || mode > 3) ctx.fail("unknown sampling mode " + std::to_string(mode));
    if (box_mode < 0 || box_mode > 3) ctx.fail("unknown box coordinates mode " + std::to_string(box_mode));
    MilWriter& w = ctx.writer();
    const Var x4 = squeeze(ctx, x, {0});
    const int64_t batch = roi.dim(2) == 5 ? 1 : x.dim(1);
    ctx.set_out(0, ctx.op("nn_crop_resize",
                          {{"x", x4}, {"roi", roi}, {"target_height", w.int_scalar(h)}, {"target_width", w.int_scalar(wd)},
                           {"normalized_coordinates", w.bool_scalar(p.normalizedcoordinates())},
                           {"spatial_scale", w.float_scalar(p.spatialscale() == 0.0f ? 1.0f : p.spatialscale())},
                           {"box_coordinate_mode", w.string(boxes[box_mode])}, {"sampling_mode", w.string(sampling[mode])}},
                          {DType::Float32, {roi.dim(0), batch, x.dim(2), h, wd}}));
}

// Inputs 3-5, when present, give the IoU threshold, score threshold and box count at run time
// (nn_nms_dynamic; the box count then sizes the outputs at run time).
void translate_nms(LayerContext& ctx) {
    ctx.require(2, 5, 4);
    const auto& p = ctx.layer().nonmaximumsuppression();
    const Var& boxes = ctx.in(0);
    const Var& scores = ctx.in(1);
    if (boxes.rank() != 3 || scores.rank() != 3)
        ctx.fail("needs boxes [B, N, 4] and scores [B, N, C], got " + shape_to_string(boxes.shape) + " and " +
                 shape_to_string(scores.shape));
    const bool dynamic = ctx.input_count() > 2;
    const int64_t b = boxes.dim(0), m = ctx.input_count() > 4 ? -1 : static_cast<int64_t>(p.maxboxes());
    MilWriter& w = ctx.writer();
    auto param = [&](size_t i, const Var& fallback) { return i < ctx.input_count() ? ctx.in(i) : fallback; };
    const auto r = ctx.ops(dynamic ? "nn_nms_dynamic" : "nn_non_maximum_suppression",
                           {{"boxes", boxes}, {"scores", scores},
                            {"iou_threshold", param(2, w.float_scalar(p.iouthreshold()))},
                            {"score_threshold", param(3, w.float_scalar(p.scorethreshold()))},
                            {"max_boxes", param(4, w.int_scalar(static_cast<int64_t>(p.maxboxes())))},
                            {"per_class_suppression", w.bool_scalar(p.perclasssuppression())}},
                           {{DType::Float32, {b, m, 4}}, {DType::Float32, {b, m, scores.dim(2)}},
                            {DType::Int32, {b, m}}, {DType::Int32, {b}}});
    ctx.set_out(0, r[0]);
    ctx.set_out(1, r[1]);
    ctx.set_out(2, as_float(ctx, r[2]));
    ctx.set_out(3, as_float(ctx, r[3]));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kCropResize, translate_crop_resize)
OCML_REGISTER_NN_LAYER(kNonMaximumSuppression, translate_nms)

}  // namespace opencoreml::nn
