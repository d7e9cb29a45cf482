// opencoreml k-NN: the kNearestNeighborsClassifier model kind — the k stored samples
// nearest to the input (squared Euclidean distance) vote for their labels, equally or by
// inverse distance; a model without samples answers its default label.
#include <algorithm>
#include <memory>

#include "Model.pb.h"
#include "models/common/classic_io.hpp"
#include "models/common/sized_input_row.hpp"
#include "models/knn/neighbor_index.hpp"

namespace opencoreml::models::knn {

namespace {

namespace spec = CoreML::Specification;

// The distinct labels in sorted order (so equal votes go to the smallest label) and each
// stored sample's position in that list.
template <typename Label>
ClassLabels distinct_labels(const std::vector<Label>& per_sample, std::vector<size_t>& class_of_sample) {
    std::vector<Label> classes(per_sample);
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    class_of_sample.clear();
    for (const Label& l : per_sample)
        class_of_sample.push_back(static_cast<size_t>(std::lower_bound(classes.begin(), classes.end(), l) - classes.begin()));
    return classes;
}

class KnnClassifier final : public Predictor {
public:
    explicit KnnClassifier(const LoadContext& ctx)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          origin_(ctx.origin + " (kNearestNeighborsClassifier)"),
          description_(ctx.spec.description()) {
        const auto& knn = ctx.spec.knearestneighborsclassifier();
        const auto& index = knn.nearestneighborsindex();
        if (index.numberofdimensions() < 0) fail("numberOfDimensions is negative");
        dims_ = static_cast<size_t>(index.numberofdimensions());
        const size_t count = static_cast<size_t>(index.floatsamples_size());

        if (knn.has_stringclasslabels() && knn.stringclasslabels().vector_size() > 0) {
            const auto& v = knn.stringclasslabels().vector();
            classes_ = distinct_labels(std::vector<std::string>(v.begin(), v.end()), class_of_sample_);
        } else {
            const auto& v = knn.int64classlabels().vector();
            classes_ = distinct_labels(std::vector<int64_t>(v.begin(), v.end()), class_of_sample_);
        }
        if (class_of_sample_.size() != count)
            fail(std::to_string(class_of_sample_.size()) + " class labels for " + std::to_string(count) +
                 " stored samples (one label per sample)");

        if (knn.DefaultClassLabel_case() == spec::KNearestNeighborsClassifier::kDefaultStringLabel)
            default_label_ = knn.defaultstringlabel();
        else if (knn.DefaultClassLabel_case() == spec::KNearestNeighborsClassifier::kDefaultInt64Label)
            default_label_ = knn.defaultint64label();

        read_number_of_neighbors(knn.numberofneighbors());

        if (knn.WeightingScheme_case() == spec::KNearestNeighborsClassifier::WEIGHTINGSCHEME_NOT_SET)
            fail("no weighting scheme (uniformWeighting or inverseDistanceWeighting)");
        inverse_distance_ = knn.has_inversedistanceweighting();
        if (index.DistanceFunction_case() != spec::NearestNeighborsIndex::kSquaredEuclideanDistance)
            fail("no distance function (squaredEuclideanDistance is the only one)");

        std::vector<float> samples;
        samples.reserve(count * dims_);
        for (size_t i = 0; i < count; ++i) {
            const auto& v = index.floatsamples(static_cast<int>(i)).vector();
            if (static_cast<size_t>(v.size()) != dims_)
                fail("stored sample " + std::to_string(i) + " has " + std::to_string(v.size()) +
                     " values, numberOfDimensions is " + std::to_string(dims_));
            samples.insert(samples.end(), v.begin(), v.end());
        }
        if (index.has_singlekdtreeindex()) {
            if (index.singlekdtreeindex().leafsize() <= 0) fail("the kd-tree's leafSize must be positive");
            index_ = make_kd_tree(std::move(samples), count, dims_,
                                  static_cast<size_t>(index.singlekdtreeindex().leafsize()));
        } else if (index.has_linearindex()) {
            index_ = make_linear_index(std::move(samples), count, dims_);
        } else {
            fail("no index type (linearIndex or singleKdTreeIndex)");
        }
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const std::vector<double> row = sized_input_row(interface(), inputs, dims_, RowLength::Exactly, origin_);
        FeatureMap outputs;
        if (class_of_sample_.empty()) {
            write_default(outputs);
            return outputs;
        }
        const std::vector<Neighbor> neighbors = index_->nearest(row.data(), std::min(k_, class_of_sample_.size()));
        write_classifier_outputs(description_, interface(), classes_, vote(neighbors), outputs);
        return outputs;
    }

private:
    [[noreturn]] void fail(const std::string& problem) const {
        throw Error(ErrorCode::InvalidModel, origin_ + ": " + problem);
    }

    void read_number_of_neighbors(const spec::Int64Parameter& p) {
        const int64_t k = p.defaultvalue();
        const std::string what = "numberOfNeighbors (" + std::to_string(k) + ")";
        if (k <= 0) fail(what + " must be positive");
        if (p.has_range() && (k < p.range().minvalue() || k > p.range().maxvalue()))
            fail(what + " is outside its allowed range [" + std::to_string(p.range().minvalue()) + ", " +
                 std::to_string(p.range().maxvalue()) + "]");
        if (p.has_set() && std::find(p.set().values().begin(), p.set().values().end(), k) == p.set().values().end())
            fail(what + " is not in its allowed set of values");
        k_ = static_cast<size_t>(k);
    }

    // Each class's share of the neighbours' votes. Inverse-distance weights are
    // 1 / squared distance; neighbours at distance zero outvote all others, sharing the
    // vote among themselves.
    std::vector<double> vote(const std::vector<Neighbor>& neighbors) const {
        std::vector<double> votes(label_count(classes_), 0.0);
        const bool exact_match = inverse_distance_ && neighbors.front().distance == 0.0;
        double total = 0.0;
        for (const Neighbor& n : neighbors) {
            double weight = 1.0;
            if (exact_match) weight = n.distance == 0.0 ? 1.0 : 0.0;
            else if (inverse_distance_) weight = 1.0 / n.distance;
            votes[class_of_sample_[n.sample]] += weight;
            total += weight;
        }
        for (double& v : votes) v /= total;
        return votes;
    }

    void write_default(FeatureMap& outputs) const {
        if (std::holds_alternative<std::monostate>(default_label_))
            throw Error(ErrorCode::InvalidArgument,
                        origin_ + ": the model has no stored samples and no default class label to answer with");
        std::string label_name = description_.predictedfeaturename();
        if (label_name.empty())
            for (const auto& d : interface().outputs())
                if (d.type().has_stringtype() || d.type().has_int64type()) { label_name = d.name(); break; }
        if (!label_name.empty()) outputs[label_name] = default_label_;
        const std::string& probs_name = description_.predictedprobabilitiesname();
        if (!probs_name.empty()) {
            if (std::holds_alternative<std::string>(default_label_)) outputs[probs_name] = StringDictionary{};
            else outputs[probs_name] = Int64Dictionary{};
        }
    }

    std::string origin_;
    CoreML::Specification::ModelDescription description_;
    size_t dims_ = 0;
    size_t k_ = 0;
    bool inverse_distance_ = false;
    ClassLabels classes_;
    std::vector<size_t> class_of_sample_;
    FeatureValue default_label_;  // monostate, int64_t or std::string
    std::unique_ptr<NeighborIndex> index_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<KnnClassifier>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kKNearestNeighborsClassifier, "kNearestNeighborsClassifier", make)

}  // namespace opencoreml::models::knn
