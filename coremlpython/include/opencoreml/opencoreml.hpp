// opencoreml: umbrella header of the public C++ API (usable without Python).
//   load_model_file / save_model_file   model files and packages (model_file.hpp)
//   ModelPackage                        the .mlpackage format (model_package.hpp)
//   blob::BlobReader / BlobWriter       weight files, memory-mapped (blob_storage.hpp)
//   summarize / to_text                 model description (model_info.hpp)
// Errors are thrown as opencoreml::Error (error.hpp). The parsed spec classes are the
// protobuf-generated ones in namespace CoreML::Specification (include "Model.pb.h").
#pragma once

#include "opencoreml/blob_storage.hpp"
#include "opencoreml/error.hpp"
#include "opencoreml/model_file.hpp"
#include "opencoreml/model_info.hpp"
#include "opencoreml/model_package.hpp"
