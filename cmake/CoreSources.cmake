# Every .cpp under coremlpython/src except the Python bindings belongs to the core library,
# so adding a kernel or a loader is adding a file.
file(GLOB_RECURSE OPENCOREML_CORE_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/coremlpython/src/*.cpp)
list(FILTER OPENCOREML_CORE_SOURCES EXCLUDE REGEX "/coremlpython/src/bindings/")
list(APPEND OPENCOREML_CORE_SOURCES ${OPENCOREML_PROTO_CPP_SOURCES})
