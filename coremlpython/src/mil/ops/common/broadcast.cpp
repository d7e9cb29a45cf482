// opencoreml ML program ops: numpy broadcasting — output shapes and the merged-dimension
// plans elementwise kernels iterate with.
#include "mil/ops/common/broadcast.hpp"

#include "opencoreml/error.hpp"

namespace opencoreml::mil {

bool broadcast_shapes(const std::vector<const Shape*>& shapes, Shape& out) {
    size_t rank = 0;
    for (const Shape* s : shapes) rank = std::max(rank, s->size());
    Shape result(rank, 1);
    for (const Shape* s : shapes) {
        const size_t lead = rank - s->size();
        for (size_t i = 0; i < s->size(); ++i) {
            const int64_t d = (*s)[i];
            int64_t& r = result[lead + i];
            if (d == r || d == 1) continue;
            if (r != 1) return false;
            r = d;  // also covers d == 0: a 0 only meets 1s or 0s
        }
    }
    out = std::move(result);
    return true;
}

Shape broadcast_shapes_or_throw(const std::vector<const Shape*>& shapes, const std::string& what) {
    Shape out;
    if (broadcast_shapes(shapes, out)) return out;
    std::string list;
    for (size_t i = 0; i < shapes.size(); ++i) {
        if (i) list += i + 1 == shapes.size() ? " and " : ", ";
        list += shape_to_string(*shapes[i]);
    }
    throw Error(ErrorCode::InvalidArgument, what + ": shapes " + list + " do not broadcast");
}

BroadcastPlan::BroadcastPlan(const std::vector<const Shape*>& inputs, const Shape& out)
    : operands_(inputs.size()), numel_(shape_numel(out)) {
    if (operands_ > kMaxOperands) throw Error(ErrorCode::InvalidArgument, "broadcast: too many operands");
    const size_t rank = out.size();
    // Element strides of each operand along every output dim (0 where it is broadcast).
    std::array<std::vector<int64_t>, kMaxOperands> full;
    for (size_t k = 0; k < operands_; ++k) {
        const Shape& s = *inputs[k];
        full[k].assign(rank, 0);
        int64_t stride = 1;
        for (size_t i = s.size(); i-- > 0;) {
            const size_t o = rank - s.size() + i;
            full[k][o] = s[i] == 1 ? 0 : stride;
            stride *= s[i];
        }
    }
    // Keep the dims of size > 1 and merge a dim into the kept one inside it whenever every
    // operand steps across the pair as across one longer dim.
    for (size_t i = 0; i < rank; ++i) {
        if (out[i] == 1) continue;
        if (!dims_.empty()) {
            bool mergeable = true;
            for (size_t k = 0; k < operands_ && mergeable; ++k)
                mergeable = strides_[k].back() == full[k][i] * out[i];
            if (mergeable) {
                dims_.back() *= out[i];
                for (size_t k = 0; k < operands_; ++k) strides_[k].back() = full[k][i];
                continue;
            }
        }
        dims_.push_back(out[i]);
        for (size_t k = 0; k < operands_; ++k) strides_[k].push_back(full[k][i]);
    }
    if (dims_.empty()) {  // rank 0 or all ones: one element
        dims_.push_back(1);
        for (size_t k = 0; k < operands_; ++k) strides_[k].push_back(0);
    }
    for (size_t k = 0; k < operands_; ++k) inner_stride_[k] = strides_[k].back();
}

void BroadcastPlan::offsets_of_row(int64_t row, Offsets& offsets, std::vector<int64_t>& index) const {
    const size_t outer = dims_.size() - 1;
    index.assign(outer, 0);
    offsets.fill(0);
    for (size_t d = outer; d-- > 0;) {
        index[d] = row % dims_[d];
        row /= dims_[d];
        for (size_t k = 0; k < operands_; ++k) offsets[k] += index[d] * strides_[k][d];
    }
}

}  // namespace opencoreml::mil
