// opencoreml ML program op: non_maximum_suppression. iOS15: boxes [n, B, 4], scores [n, B, K],
// a score threshold, and a fourth output counting the kept boxes; iOS17: boxes [n, 4, B] and
// scores [n, K, B] (boxes last), no score threshold and no count. Boxes are (x_center,
// y_center, width, height); a box's score is its best class score. Boxes are visited by
// decreasing score (ties: lower index first) and kept unless their IoU with an already kept
// box (of the same best class, with per_class_suppression) exceeds iou_threshold, up to
// max_boxes. When no box passes the score threshold the best-scoring box is kept alone, as Core
// ML does. Unused output slots are zero, with index -1.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::misc {
namespace {

struct NmsParams {
    bool boxes_last = false;  // iOS17 layout
    float iou_threshold = 0.0f;
    bool has_score_threshold = false;
    float score_threshold = 0.0f;
    int64_t max_boxes = 0;
    bool per_class = false;
};

float iou(const float* a, const float* b) {
    const float ax0 = a[0] - a[2] * 0.5f, ax1 = a[0] + a[2] * 0.5f, ay0 = a[1] - a[3] * 0.5f, ay1 = a[1] + a[3] * 0.5f;
    const float bx0 = b[0] - b[2] * 0.5f, bx1 = b[0] + b[2] * 0.5f, by0 = b[1] - b[3] * 0.5f, by1 = b[1] + b[3] * 0.5f;
    const float iw = std::max(0.0f, std::min(ax1, bx1) - std::max(ax0, bx0));
    const float ih = std::max(0.0f, std::min(ay1, by1) - std::max(ay0, by0));
    const float inter = iw * ih;
    return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

// Indices of the boxes kept for one batch item, best first.
std::vector<int64_t> select(const std::vector<float>& box, const std::vector<float>& best, const std::vector<int64_t>& cls,
                            const NmsParams& p) {
    const int64_t n = static_cast<int64_t>(best.size());
    std::vector<int64_t> order;
    for (int64_t i = 0; i < n; ++i)
        if (!p.has_score_threshold || best[i] > p.score_threshold) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return best[a] > best[b]; });
    std::vector<int64_t> kept;
    for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= p.max_boxes) break;
        bool suppressed = false;
        for (int64_t k : kept) {
            if (p.per_class && cls[k] != cls[i]) continue;
            if (iou(&box[i * 4], &box[k * 4]) > p.iou_threshold) {
                suppressed = true;
                break;
            }
        }
        if (!suppressed) kept.push_back(i);
    }
    if (kept.empty() && n > 0 && p.max_boxes > 0)
        kept.push_back(std::max_element(best.begin(), best.end()) - best.begin());
    return kept;
}

class NmsKernel : public Kernel {
public:
    explicit NmsKernel(NmsParams p) : p_(p) {}

    void run(RunContext& ctx) const override {
        const Tensor& boxes_in = ctx.input("boxes");
        const Tensor& scores_in = ctx.input("scores");
        const Tensor boxes = to_f32_tensor(boxes_in), scores = to_f32_tensor(scores_in);
        if (boxes.rank() != 3 || scores.rank() != 3) ctx.fail("boxes and scores must have rank 3");
        const int64_t batch = boxes.dim(0);
        const int64_t nbox = p_.boxes_last ? boxes.dim(2) : boxes.dim(1);
        const int64_t ncls = p_.boxes_last ? scores.dim(1) : scores.dim(2);
        const int64_t box_coords = p_.boxes_last ? boxes.dim(1) : boxes.dim(2);
        const int64_t score_boxes = p_.boxes_last ? scores.dim(2) : scores.dim(1);
        if (box_coords != 4 || scores.dim(0) != batch || score_boxes != nbox)
            ctx.fail("boxes " + shape_to_string(boxes.shape()) + " and scores " + shape_to_string(scores.shape()) +
                     " do not describe the same boxes");
        const int64_t m = p_.max_boxes;
        // Element (item, j) of a [batch, items, j] or [batch, j, items] tensor.
        auto offset = [&](int64_t b, int64_t item, int64_t j, int64_t items, int64_t width) {
            return p_.boxes_last ? (b * width + j) * items + item : (b * items + item) * width + j;
        };
        Tensor& out_boxes = ctx.allocate_output(0, boxes_in.dtype(), p_.boxes_last ? Shape{batch, 4, m} : Shape{batch, m, 4});
        Tensor& out_scores = ctx.allocate_output(1, scores_in.dtype(), p_.boxes_last ? Shape{batch, ncls, m} : Shape{batch, m, ncls});
        Tensor& out_index = ctx.allocate_output(2, DType::Int32, {batch, m});
        std::memset(out_boxes.raw(), 0, out_boxes.nbytes());
        std::memset(out_scores.raw(), 0, out_scores.nbytes());
        int32_t* index = out_index.data<int32_t>();
        std::fill(index, index + batch * m, -1);
        int32_t* counts = nullptr;
        if (!p_.boxes_last) counts = ctx.allocate_output(3, DType::Int32, {batch}).data<int32_t>();
        const size_t bsz = dtype_size(boxes_in.dtype()), ssz = dtype_size(scores_in.dtype());
        const char* bsrc = static_cast<const char*>(boxes_in.raw());
        const char* ssrc = static_cast<const char*>(scores_in.raw());
        char* bdst = static_cast<char*>(out_boxes.raw());
        char* sdst = static_cast<char*>(out_scores.raw());

        for (int64_t b = 0; b < batch; ++b) {
            std::vector<float> box(static_cast<size_t>(nbox * 4)), best(static_cast<size_t>(nbox));
            std::vector<int64_t> cls(static_cast<size_t>(nbox), 0);
            for (int64_t i = 0; i < nbox; ++i) {
                for (int64_t j = 0; j < 4; ++j) box[i * 4 + j] = boxes.data<float>()[offset(b, i, j, nbox, 4)];
                float top = ncls ? scores.data<float>()[offset(b, i, 0, nbox, ncls)] : 0.0f;
                for (int64_t k = 1; k < ncls; ++k) {
                    const float s = scores.data<float>()[offset(b, i, k, nbox, ncls)];
                    if (s > top) {
                        top = s;
                        cls[i] = k;
                    }
                }
                best[i] = top;
            }
            const std::vector<int64_t> kept = select(box, best, cls, p_);
            for (size_t slot = 0; slot < kept.size(); ++slot) {
                const int64_t i = kept[slot], s = static_cast<int64_t>(slot);
                index[b * m + s] = static_cast<int32_t>(i);
                for (int64_t j = 0; j < 4; ++j)
                    std::memcpy(bdst + offset(b, s, j, m, 4) * bsz, bsrc + offset(b, i, j, nbox, 4) * bsz, bsz);
                for (int64_t k = 0; k < ncls; ++k)
                    std::memcpy(sdst + offset(b, s, k, m, ncls) * ssz, ssrc + offset(b, i, k, nbox, ncls) * ssz, ssz);
            }
            if (counts) counts[b] = static_cast<int32_t>(kept.size());
        }
    }

private:
    NmsParams p_;
};

std::unique_ptr<Kernel> make_nms(const BuildContext& b, bool boxes_last) {
    NmsParams p;
    p.boxes_last = boxes_last;
    p.iou_threshold = static_cast<float>(b.const_float("iou_threshold"));
    p.has_score_threshold = !boxes_last;
    if (!boxes_last) p.score_threshold = static_cast<float>(b.const_float("score_threshold"));
    p.max_boxes = b.const_int("max_boxes");
    if (p.max_boxes < 0) b.fail("max_boxes must be non-negative");
    p.per_class = b.const_bool("per_class_suppression", false);
    return std::make_unique<NmsKernel>(p);
}

}  // namespace

OCML_REGISTER_MIL_OP("non_maximum_suppression", kIOS15, [](const BuildContext& b) { return make_nms(b, false); })
OCML_REGISTER_MIL_OP("non_maximum_suppression", kIOS17, [](const BuildContext& b) { return make_nms(b, true); })

}  // namespace opencoreml::mil::misc
