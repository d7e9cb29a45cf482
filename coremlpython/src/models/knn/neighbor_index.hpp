// opencoreml k-NN: finding the k stored samples nearest to a query by squared Euclidean
// distance — a linear scan or a kd-tree, which return exactly the same neighbours.
#pragma once

#include <cstddef>
#include <memory>
#include <queue>
#include <vector>

namespace opencoreml::models::knn {

// Neighbours are ordered by distance, then by sample number, so ties resolve the same way
// whichever index finds them.
struct Neighbor {
    double distance;
    size_t sample;
    bool operator<(const Neighbor& other) const {
        return distance < other.distance || (distance == other.distance && sample < other.sample);
    }
};

// Squared Euclidean distance between a double query and a float sample, summed in
// dimension order (the kd-tree's pruning bound relies on that order).
inline double squared_distance(const double* query, const float* sample, size_t dims) {
    double sum = 0.0;
    for (size_t d = 0; d < dims; ++d) {
        const double diff = query[d] - static_cast<double>(sample[d]);
        sum += diff * diff;
    }
    return sum;
}

// The k best neighbours seen so far (a max-heap on the Neighbor order).
class NearestSoFar {
public:
    explicit NearestSoFar(size_t k) : k_(k) {}
    bool full() const { return heap_.size() == k_; }
    // Distance a candidate must not exceed to matter (ties can still win on sample number).
    double bound() const;
    void offer(double distance, size_t sample);
    std::vector<Neighbor> sorted() &&;  // nearest first

private:
    size_t k_;
    std::priority_queue<Neighbor> heap_;
};

class NeighborIndex {
public:
    virtual ~NeighborIndex() = default;
    // The min(k, size) nearest samples to `query` (dims values), nearest first.
    virtual std::vector<Neighbor> nearest(const double* query, size_t k) const = 0;
};

// `samples` is count x dims, row-major; sample numbers are row numbers. Queries ask for
// k >= 1 neighbours.
std::unique_ptr<NeighborIndex> make_linear_index(std::vector<float> samples, size_t count, size_t dims);
std::unique_ptr<NeighborIndex> make_kd_tree(std::vector<float> samples, size_t count, size_t dims, size_t leaf_size);

}  // namespace opencoreml::models::knn
