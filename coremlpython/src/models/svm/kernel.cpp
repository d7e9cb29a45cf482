// opencoreml SVMs: kernel constants and kernel values.
#include "models/svm/kernel.hpp"

#include <cmath>

#include "opencoreml/error.hpp"

namespace opencoreml::models::svm {

namespace spec = CoreML::Specification;

Kernel::Kernel(const spec::Kernel& kernel, const std::string& origin) {
    switch (kernel.kernel_case()) {
        case spec::Kernel::kLinearKernel:
            kind_ = Kind::Linear;
            break;
        case spec::Kernel::kRbfKernel:
            kind_ = Kind::Rbf;
            gamma_ = kernel.rbfkernel().gamma();
            break;
        case spec::Kernel::kPolyKernel:
            kind_ = Kind::Poly;
            gamma_ = kernel.polykernel().gamma();
            c_ = kernel.polykernel().c();
            degree_ = kernel.polykernel().degree();
            if (degree_ < 0) throw Error(ErrorCode::InvalidModel, origin + ": the polynomial kernel's degree is negative");
            break;
        case spec::Kernel::kSigmoidKernel:
            kind_ = Kind::Sigmoid;
            gamma_ = kernel.sigmoidkernel().gamma();
            c_ = kernel.sigmoidkernel().c();
            break;
        default:
            throw Error(ErrorCode::InvalidModel, origin + ": the SVM has no kernel (linear, rbf, poly or sigmoid)");
    }
    if (gamma_ < 0) throw Error(ErrorCode::InvalidModel, origin + ": the kernel's gamma is negative");
}

double Kernel::of_dot(double dot) const {
    switch (kind_) {
        case Kind::Poly: return std::pow(gamma_ * dot + c_, degree_);
        case Kind::Sigmoid: return std::tanh(gamma_ * dot + c_);
        default: return dot;
    }
}

double Kernel::of_squared_distance(double squared_distance) const {
    return std::exp(-gamma_ * squared_distance);
}

}  // namespace opencoreml::models::svm
