// opencoreml bindings: conversion between Python values (numbers, str, dict, list, numpy
// arrays, ImageData) and FeatureValue — the one place this boundary is crossed.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "opencoreml/feature_value.hpp"

namespace opencoreml::bindings {

// Pixels of an image feature on their way in or out (Python turns PIL images into these).
struct ImageData {
    pybind11::array pixels;
};

FeatureValue to_feature_value(const std::string& name, pybind11::handle value);
FeatureMap to_feature_map(const pybind11::dict& data);
pybind11::object to_python(const FeatureValue& value);
pybind11::dict to_python(const FeatureMap& features);
// A numpy array sharing (or, for float16/bfloat16, converted from) the tensor's storage.
pybind11::array tensor_to_numpy(const Tensor& tensor);
Tensor numpy_to_tensor(const std::string& name, pybind11::handle value);

}  // namespace opencoreml::bindings
