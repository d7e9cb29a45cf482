// opencoreml k-NN: the kd-tree index. Built once at load: samples are split at the median
// of their widest dimension until a node holds at most leaf_size of them, and copied into
// tree order so each leaf is one contiguous block. Every node keeps its bounding box; a
// query descends nearer boxes first and skips a box whose distance exceeds the current
// k-th neighbour, which gives exactly the linear scan's answer.
#include <algorithm>
#include <numeric>
#include <utility>

#include "models/knn/neighbor_index.hpp"

namespace opencoreml::models::knn {

namespace {

struct Node {
    size_t begin, end;  // the node's samples in tree order
    size_t low, high;   // children (node numbers), 0 for a leaf: the root is never a child
    size_t box;         // offset of the node's min corner in boxes_ (max corner follows)
};

class KdTree final : public NeighborIndex {
public:
    KdTree(const std::vector<float>& samples, size_t count, size_t dims, size_t leaf_size)
        : dims_(dims), leaf_size_(std::max<size_t>(leaf_size, 1)), ids_(count) {
        std::iota(ids_.begin(), ids_.end(), size_t{0});
        if (count > 0) build(samples, 0, count);
        points_.reserve(count * dims);
        for (size_t id : ids_) points_.insert(points_.end(), samples.begin() + id * dims, samples.begin() + (id + 1) * dims);
    }

    std::vector<Neighbor> nearest(const double* query, size_t k) const override {
        NearestSoFar best(k);
        if (!nodes_.empty()) search(0, query, box_distance(0, query), best);
        return std::move(best).sorted();
    }

private:
    size_t build(const std::vector<float>& samples, size_t begin, size_t end) {
        const size_t number = nodes_.size();
        nodes_.push_back({begin, end, 0, 0, boxes_.size()});
        boxes_.resize(boxes_.size() + 2 * dims_);
        float* lo = boxes_.data() + nodes_[number].box;
        float* hi = lo + dims_;
        for (size_t d = 0; d < dims_; ++d) lo[d] = hi[d] = samples[ids_[begin] * dims_ + d];
        for (size_t i = begin + 1; i < end; ++i)
            for (size_t d = 0; d < dims_; ++d) {
                const float v = samples[ids_[i] * dims_ + d];
                lo[d] = std::min(lo[d], v);
                hi[d] = std::max(hi[d], v);
            }
        size_t widest = 0;
        for (size_t d = 1; d < dims_; ++d)
            if (hi[d] - lo[d] > hi[widest] - lo[widest]) widest = d;
        // Identical points cannot be split further; keep them in one (possibly large) leaf.
        if (end - begin <= leaf_size_ || dims_ == 0 || !(hi[widest] > lo[widest])) return number;

        const size_t middle = begin + (end - begin) / 2;
        std::nth_element(ids_.begin() + begin, ids_.begin() + middle, ids_.begin() + end, [&](size_t a, size_t b) {
            return samples[a * dims_ + widest] < samples[b * dims_ + widest];
        });
        const size_t low = build(samples, begin, middle);
        const size_t high = build(samples, middle, end);
        nodes_[number].low = low;  // nodes_ may have grown: index, don't hold references
        nodes_[number].high = high;
        return number;
    }

    // A lower bound on the distance from `query` to any sample in the node: the same sum as
    // squared_distance, in the same order, with each term no larger, so it never exceeds it.
    double box_distance(size_t node, const double* query) const {
        const float* lo = boxes_.data() + nodes_[node].box;
        const float* hi = lo + dims_;
        double sum = 0.0;
        for (size_t d = 0; d < dims_; ++d) {
            double gap = 0.0;
            if (query[d] < lo[d]) gap = static_cast<double>(lo[d]) - query[d];
            else if (query[d] > hi[d]) gap = query[d] - static_cast<double>(hi[d]);
            sum += gap * gap;
        }
        return sum;
    }

    void search(size_t node, const double* query, double node_distance, NearestSoFar& best) const {
        // Equal distances still matter: a tied sample with a lower number must win.
        if (node_distance > best.bound()) return;
        const Node& n = nodes_[node];
        if (n.low == 0) {
            for (size_t i = n.begin; i < n.end; ++i)
                best.offer(squared_distance(query, points_.data() + i * dims_, dims_), ids_[i]);
            return;
        }
        const double to_low = box_distance(n.low, query);
        const double to_high = box_distance(n.high, query);
        if (to_low <= to_high) {
            search(n.low, query, to_low, best);
            search(n.high, query, to_high, best);
        } else {
            search(n.high, query, to_high, best);
            search(n.low, query, to_low, best);
        }
    }

    size_t dims_;
    size_t leaf_size_;
    std::vector<size_t> ids_;     // tree order -> sample number
    std::vector<float> points_;   // samples in tree order
    std::vector<Node> nodes_;
    std::vector<float> boxes_;
};

}  // namespace

std::unique_ptr<NeighborIndex> make_kd_tree(std::vector<float> samples, size_t count, size_t dims, size_t leaf_size) {
    return std::make_unique<KdTree>(samples, count, dims, leaf_size);
}

}  // namespace opencoreml::models::knn
