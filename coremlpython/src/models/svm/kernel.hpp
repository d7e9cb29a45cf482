// opencoreml SVMs: the four Core ML kernels (linear, RBF, polynomial, sigmoid) with their
// constants read once at load.
#pragma once

#include <string>

#include "Model.pb.h"

namespace opencoreml::models::svm {

class Kernel {
public:
    Kernel(const CoreML::Specification::Kernel& kernel, const std::string& origin);

    // RBF is a function of ||x - s||^2, the others of the dot product x . s.
    bool uses_distance() const { return kind_ == Kind::Rbf; }
    double of_dot(double dot) const;
    double of_squared_distance(double squared_distance) const;

private:
    enum class Kind { Linear, Rbf, Poly, Sigmoid };
    Kind kind_ = Kind::Linear;
    double gamma_ = 0.0;
    double c_ = 0.0;
    int degree_ = 0;
};

}  // namespace opencoreml::models::svm
