// opencoreml SVMs: the support vectors of an SVM, dense or sparse (libsvm's 1-based
// index/value nodes), and the kernel between an input row and each of them.
#pragma once

#include <string>
#include <vector>

#include "Model.pb.h"
#include "models/common/sized_input_row.hpp"
#include "models/svm/kernel.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::models::svm {

class SupportVectors {
public:
    SupportVectors(const CoreML::Specification::DenseSupportVectors& dense, const std::string& origin);
    SupportVectors(const CoreML::Specification::SparseSupportVectors& sparse, const std::string& origin);

    size_t count() const { return count_; }
    // Input values the vectors need: their length (dense) or their highest index (sparse).
    size_t required_width() const { return width_; }
    // How an input row's length must compare with required_width(): a sparse vector
    // leaves the values past its last index at zero, so longer rows are fine.
    RowLength row_rule() const { return sparse_ || count_ == 0 ? RowLength::AtLeast : RowLength::Exactly; }

    // out[i] = K(x, vector i) for a row `x` of at least required_width() values; values
    // past a sparse vector's last index count as zero in it, as in libsvm.
    void kernel_row(const Kernel& kernel, const std::vector<double>& x, double* out) const;

private:
    size_t count_ = 0;
    size_t width_ = 0;
    bool sparse_ = false;
    std::vector<double> dense_;    // count x width, row-major
    std::vector<size_t> starts_;   // sparse: vector i owns nodes [starts_[i], starts_[i + 1])
    std::vector<size_t> indexes_;  // sparse: 0-based, ascending within a vector
    std::vector<double> values_;
};

// The support vectors of a SupportVectorRegressor or SupportVectorClassifier, whichever
// storage it uses.
template <typename SvmSpec>
SupportVectors support_vectors_of(const SvmSpec& svm, const std::string& origin) {
    if (svm.has_densesupportvectors()) return SupportVectors(svm.densesupportvectors(), origin);
    if (svm.has_sparsesupportvectors()) return SupportVectors(svm.sparsesupportvectors(), origin);
    throw Error(ErrorCode::InvalidModel, origin + ": the SVM has no support vectors (dense or sparse)");
}

}  // namespace opencoreml::models::svm
