// Example: use opencoreml from C++ without Python. Loads a .mlmodel or .mlpackage, prints
// its description and lists the blobs of its weight file.
//
// Build against an installed wheel (see tests/test_cpp_example.py):
//   INC=$(python -c "import opencoreml; print(opencoreml.get_include())")
//   LIB=$(python -c "import opencoreml; print(opencoreml.get_lib_dir())")
//   g++ -std=c++17 describe_model.cpp -I$INC -I$INC/opencoreml/format -L$LIB -lopencoreml -lprotobuf \
//       -Wl,-rpath,$LIB -o describe_model
#include <iostream>

#include "Model.pb.h"
#include "opencoreml/opencoreml.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " MODEL(.mlmodel|.mlpackage)\n";
        return 2;
    }
    try {
        const opencoreml::ModelFile model = opencoreml::load_model_file(argv[1]);
        std::cout << opencoreml::to_text(opencoreml::summarize(model));

        // The parsed spec is the protobuf message itself.
        const auto& description = model.spec->description();
        std::cout << "spec: " << description.input_size() << " input(s), " << description.output_size()
                  << " output(s)\n";

        if (model.weights_dir) {
            const std::string path = *model.weights_dir + "/weight.bin";
            auto reader = opencoreml::blob::BlobReader::open(path);
            std::cout << "weight file " << path << ": " << reader->count() << " blob(s)\n";
            for (const auto& blob : reader->list())
                std::cout << "  blob @" << blob.metadata_offset << " " << opencoreml::blob::dtype_name(blob.dtype)
                          << " x " << blob.element_count << " (" << blob.size_in_bytes << " bytes at "
                          << blob.data_offset << ")\n";
        }
    } catch (const opencoreml::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
