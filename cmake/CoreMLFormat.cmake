# Generates code from mlmodel/format/*.proto at build time:
#  - C++ classes (protoc --cpp_out) compiled into the core library;
#  - a descriptor set plus thin *_pb2.py modules that build the Python classes from it
#    in a private descriptor pool (so opencoreml and coremltools can share a process),
#    with whatever protobuf runtime is installed.
file(GLOB OCML_PROTO_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/mlmodel/format/*.proto)
set(OPENCOREML_PROTO_CPP_DIR ${CMAKE_CURRENT_BINARY_DIR}/format_cpp)
set(OCML_PROTO_PY_DIR ${CMAKE_CURRENT_BINARY_DIR}/format_py)
file(MAKE_DIRECTORY ${OPENCOREML_PROTO_CPP_DIR} ${OCML_PROTO_PY_DIR})

set(OPENCOREML_PROTO_CPP_SOURCES "")
set(OCML_PROTO_CPP_HEADERS "")
set(OPENCOREML_PROTO_PY_FILES ${OCML_PROTO_PY_DIR}/coreml_format.desc)
foreach(proto ${OCML_PROTO_FILES})
  get_filename_component(stem ${proto} NAME_WE)
  list(APPEND OPENCOREML_PROTO_CPP_SOURCES ${OPENCOREML_PROTO_CPP_DIR}/${stem}.pb.cc)
  list(APPEND OCML_PROTO_CPP_HEADERS ${OPENCOREML_PROTO_CPP_DIR}/${stem}.pb.h)
  list(APPEND OPENCOREML_PROTO_PY_FILES ${OCML_PROTO_PY_DIR}/${stem}_pb2.py)
endforeach()

add_custom_command(
  OUTPUT ${OPENCOREML_PROTO_CPP_SOURCES} ${OCML_PROTO_CPP_HEADERS}
  COMMAND protobuf::protoc --cpp_out=${OPENCOREML_PROTO_CPP_DIR}
          -I ${CMAKE_CURRENT_SOURCE_DIR}/mlmodel/format ${OCML_PROTO_FILES}
  DEPENDS ${OCML_PROTO_FILES}
  COMMENT "Generating C++ code for the Core ML spec")

find_package(Python 3.9 COMPONENTS Interpreter)
add_custom_command(
  OUTPUT ${OPENCOREML_PROTO_PY_FILES}
  COMMAND protobuf::protoc --include_imports --descriptor_set_out=${OCML_PROTO_PY_DIR}/coreml_format.desc
          -I ${CMAKE_CURRENT_SOURCE_DIR}/mlmodel/format ${OCML_PROTO_FILES}
  COMMAND ${Python_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/gen_python_protos.py
          ${OCML_PROTO_PY_DIR}/coreml_format.desc ${OCML_PROTO_PY_DIR}
  DEPENDS ${OCML_PROTO_FILES} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/gen_python_protos.py
  COMMENT "Generating Python modules for the Core ML spec")
add_custom_target(opencoreml_python_protos ALL DEPENDS ${OPENCOREML_PROTO_PY_FILES})

# The generated code is third-party style: no warnings from it.
set_source_files_properties(${OPENCOREML_PROTO_CPP_SOURCES} PROPERTIES COMPILE_OPTIONS "-w")
