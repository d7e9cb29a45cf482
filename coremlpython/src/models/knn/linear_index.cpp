// opencoreml k-NN: the linear index (every stored sample is compared), and the bounded
// heap both indexes collect neighbours in.
#include <limits>
#include <utility>

#include "models/knn/neighbor_index.hpp"

namespace opencoreml::models::knn {

double NearestSoFar::bound() const {
    return full() ? heap_.top().distance : std::numeric_limits<double>::infinity();
}

void NearestSoFar::offer(double distance, size_t sample) {
    const Neighbor candidate{distance, sample};
    if (!full()) {
        heap_.push(candidate);
    } else if (candidate < heap_.top()) {
        heap_.pop();
        heap_.push(candidate);
    }
}

std::vector<Neighbor> NearestSoFar::sorted() && {
    std::vector<Neighbor> out(heap_.size());
    for (size_t i = out.size(); i-- > 0; heap_.pop()) out[i] = heap_.top();
    return out;
}

namespace {

class LinearIndex final : public NeighborIndex {
public:
    LinearIndex(std::vector<float> samples, size_t count, size_t dims)
        : samples_(std::move(samples)), count_(count), dims_(dims) {}

    std::vector<Neighbor> nearest(const double* query, size_t k) const override {
        NearestSoFar best(k);
        for (size_t i = 0; i < count_; ++i) best.offer(squared_distance(query, samples_.data() + i * dims_, dims_), i);
        return std::move(best).sorted();
    }

private:
    std::vector<float> samples_;
    size_t count_;
    size_t dims_;
};

}  // namespace

std::unique_ptr<NeighborIndex> make_linear_index(std::vector<float> samples, size_t count, size_t dims) {
    return std::make_unique<LinearIndex>(std::move(samples), count, dims);
}

}  // namespace opencoreml::models::knn
