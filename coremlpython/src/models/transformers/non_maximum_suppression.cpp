// opencoreml transformers: the nonMaximumSuppression model kind (Vision-style object
// detection post-processing). Boxes are rows of an N x C confidence array and an N x 4
// (centre x, centre y, width, height) coordinates array. A box's score is its largest class
// confidence and its label that class. Boxes scoring below the confidence threshold are
// dropped; the rest, best first, each suppress the later boxes whose IoU with them exceeds
// the IoU threshold (only boxes of the same label when pickTop.perClass), so a threshold of
// 1 suppresses nothing. Kept rows come out whole, best first, zero-padded or cut to the
// output's fixed shape or shape range when it declares one.
#include <algorithm>
#include <cmath>
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

struct Box {
    double left, top, right, bottom;
    double area() const { return std::max(0.0, right - left) * std::max(0.0, bottom - top); }
};

Box box_from_center(const double* xywh) {
    return {xywh[0] - xywh[2] / 2, xywh[1] - xywh[3] / 2, xywh[0] + xywh[2] / 2, xywh[1] + xywh[3] / 2};
}

double iou(const Box& a, const Box& b) {
    const double w = std::min(a.right, b.right) - std::max(a.left, b.left);
    const double h = std::min(a.bottom, b.bottom) - std::max(a.top, b.top);
    if (w <= 0 || h <= 0) return 0.0;
    const double overlap = w * h;
    const double union_area = a.area() + b.area() - overlap;
    return union_area > 0 ? overlap / union_area : 0.0;
}

// How many rows an output holds: as many as were kept, clamped to [min_rows, max_rows].
struct RowLimits {
    int64_t min_rows = 0;
    int64_t max_rows = -1;  // -1: unbounded
    int64_t apply(int64_t kept) const {
        const int64_t n = std::max(kept, min_rows);
        return max_rows < 0 ? n : std::min(n, max_rows);
    }
};

RowLimits limits_of(const spec::FeatureDescription& output) {
    const auto& array = output.type().multiarraytype();
    if (array.has_shaperange() && array.shaperange().sizeranges_size() > 0) {
        const auto& rows = array.shaperange().sizeranges(0);
        return {static_cast<int64_t>(rows.lowerbound()), rows.upperbound()};
    }
    if (array.shape_size() == 2) return {array.shape(0), array.shape(0)};
    return {};
}

class NonMaximumSuppression final : public Predictor {
public:
    explicit NonMaximumSuppression(const LoadContext& ctx)
        : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "nonMaximumSuppression")) {
        const auto& nms = ctx.spec.nonmaximumsuppression();
        confidence_in_ = named_input(interface(), nms.confidenceinputfeaturename(), "confidenceInputFeatureName", origin_).name();
        coordinates_in_ = named_input(interface(), nms.coordinatesinputfeaturename(), "coordinatesInputFeatureName", origin_).name();
        if (!nms.iouthresholdinputfeaturename().empty())
            iou_in_ = named_input(interface(), nms.iouthresholdinputfeaturename(), "iouThresholdInputFeatureName", origin_).name();
        if (!nms.confidencethresholdinputfeaturename().empty())
            threshold_in_ = named_input(interface(), nms.confidencethresholdinputfeaturename(),
                                        "confidenceThresholdInputFeatureName", origin_).name();
        const auto& confidence_out = named_output(interface(), nms.confidenceoutputfeaturename(), "confidenceOutputFeatureName", origin_);
        const auto& coordinates_out = named_output(interface(), nms.coordinatesoutputfeaturename(), "coordinatesOutputFeatureName", origin_);
        for (const auto* d : {&confidence_out, &coordinates_out})
            if (!d->type().has_multiarraytype()) invalid_model(origin_, "the output '" + d->name() + "' must be a multi-array");
        confidence_out_ = confidence_out.name();
        coordinates_out_ = coordinates_out.name();
        confidence_dtype_ = declared_dtype(confidence_out);
        coordinates_dtype_ = declared_dtype(coordinates_out);
        const RowLimits a = limits_of(confidence_out), b = limits_of(coordinates_out);
        limits_ = (a.min_rows > 0 || a.max_rows >= 0) ? a : b;
        iou_threshold_ = nms.iouthreshold();
        confidence_threshold_ = nms.confidencethreshold();
        if (!(iou_threshold_ >= 0.0 && iou_threshold_ <= 1.0)) invalid_model(origin_, "iouThreshold must be between 0 and 1");
        if (!(confidence_threshold_ >= 0.0)) invalid_model(origin_, "confidenceThreshold must not be negative");
        per_class_ = nms.has_picktop() && nms.picktop().perclass();
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const Tensor& confidence = matrix(inputs, confidence_in_);
        const Tensor& coordinates = matrix(inputs, coordinates_in_);
        const int64_t n = confidence.dim(0), classes = confidence.dim(1);
        if (coordinates.dim(0) != n || coordinates.dim(1) != 4)
            invalid_input(origin_, "input '" + coordinates_in_ + "' must have shape (" + std::to_string(n) +
                                       ", 4) to match the confidences, got " + shape_to_string(coordinates.shape()));
        const double iou_threshold = threshold(inputs, iou_in_, iou_threshold_);
        const double confidence_threshold = threshold(inputs, threshold_in_, confidence_threshold_);

        const std::vector<double> conf = array_values(confidence);
        const std::vector<double> coords = array_values(coordinates);
        std::vector<double> score(static_cast<size_t>(n));
        std::vector<int64_t> label(static_cast<size_t>(n));
        std::vector<int64_t> order;
        for (int64_t i = 0; i < n; ++i) {
            const double* row = conf.data() + i * classes;
            const int64_t best = classes ? std::max_element(row, row + classes) - row : 0;
            label[i] = best;
            score[i] = classes ? row[best] : 0.0;
            if (score[i] >= confidence_threshold) order.push_back(i);
        }
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return score[a] > score[b]; });

        std::vector<int64_t> kept;
        std::vector<Box> kept_boxes;
        for (int64_t i : order) {
            const Box box = box_from_center(coords.data() + i * 4);
            bool suppressed = false;
            for (size_t k = 0; k < kept.size() && !suppressed; ++k)
                suppressed = (!per_class_ || label[kept[k]] == label[i]) && iou(kept_boxes[k], box) > iou_threshold;
            if (suppressed) continue;
            kept.push_back(i);
            kept_boxes.push_back(box);
        }

        const int64_t rows = limits_.apply(static_cast<int64_t>(kept.size()));
        std::vector<double> conf_out(static_cast<size_t>(rows * classes), 0.0), coord_out(static_cast<size_t>(rows * 4), 0.0);
        for (int64_t r = 0; r < rows && r < static_cast<int64_t>(kept.size()); ++r) {
            std::copy_n(conf.begin() + kept[r] * classes, classes, conf_out.begin() + r * classes);
            std::copy_n(coords.begin() + kept[r] * 4, 4, coord_out.begin() + r * 4);
        }
        FeatureMap outputs;
        outputs[confidence_out_] = make_array(conf_out, {rows, classes}, confidence_dtype_);
        outputs[coordinates_out_] = make_array(coord_out, {rows, 4}, coordinates_dtype_);
        return outputs;
    }

private:
    const Tensor& matrix(const FeatureMap& inputs, const std::string& name) const {
        const auto* t = std::get_if<Tensor>(&input_value(inputs, name, origin_));
        if (!t || t->rank() != 2)
            invalid_input(origin_, "input '" + name + "' must be a 2-D multi-array (boxes x values)" +
                                       (t ? ", got shape " + shape_to_string(t->shape()) : std::string()));
        return *t;
    }

    double threshold(const FeatureMap& inputs, const std::string& name, double fallback) const {
        if (name.empty()) return fallback;
        auto it = inputs.find(name);
        if (it == inputs.end()) return fallback;
        const auto* d = std::get_if<double>(&it->second);
        if (!d) invalid_input(origin_, "input '" + name + "' must be a double");
        if (std::isnan(*d)) invalid_input(origin_, "input '" + name + "' is NaN; a threshold must be a number");
        return *d;
    }

    std::string origin_;
    std::string confidence_in_, coordinates_in_, iou_in_, threshold_in_;
    std::string confidence_out_, coordinates_out_;
    DType confidence_dtype_ = DType::Float64, coordinates_dtype_ = DType::Float64;
    RowLimits limits_;
    double iou_threshold_ = 0.0;
    double confidence_threshold_ = 0.0;
    bool per_class_ = false;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<NonMaximumSuppression>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kNonMaximumSuppression, "nonMaximumSuppression", make)

}  // namespace opencoreml::models::transformers
