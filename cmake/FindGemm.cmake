# The GEMM library (OpenBLAS from the pip package scipy-openblas32, see benchmarks/README.md
# "GEMM library"): located through the Python package that ships it, exposed as the imported
# target Gemm::openblas. Required: configuring fails with a clear message when it is absent.
#
# Sets GEMM_LIBRARY_DIR (for run-time search paths) and GEMM_RPATH_FROM_PACKAGE (the library
# directory relative to an installed opencoreml/lib, since both live in site-packages).

if(Python_EXECUTABLE)
  set(_gemm_python "${Python_EXECUTABLE}")
else()
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  set(_gemm_python "${Python3_EXECUTABLE}")
endif()

execute_process(
  COMMAND "${_gemm_python}" -c
    "import scipy_openblas32 as m; print(m.get_include_dir()); print(m.get_lib_dir()); print(m.get_library(fullname=True))"
  OUTPUT_VARIABLE _gemm_out
  ERROR_VARIABLE _gemm_err
  RESULT_VARIABLE _gemm_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _gemm_rc EQUAL 0)
  message(FATAL_ERROR
    "opencoreml needs OpenBLAS from the pip package 'scipy-openblas32' for ${_gemm_python}; "
    "install it with: ${_gemm_python} -m pip install scipy-openblas32\n${_gemm_err}")
endif()
string(REPLACE "\n" ";" _gemm_out "${_gemm_out}")
list(GET _gemm_out 0 GEMM_INCLUDE_DIR)
list(GET _gemm_out 1 GEMM_LIBRARY_DIR)
list(GET _gemm_out 2 _gemm_libfile)
set(GEMM_LIBRARY "${GEMM_LIBRARY_DIR}/${_gemm_libfile}")
if(NOT EXISTS "${GEMM_INCLUDE_DIR}/cblas.h" OR NOT EXISTS "${GEMM_LIBRARY}")
  message(FATAL_ERROR "scipy-openblas32 looks incomplete (no cblas.h in ${GEMM_INCLUDE_DIR} or no ${GEMM_LIBRARY}); "
                      "reinstall it with: ${_gemm_python} -m pip install --force-reinstall scipy-openblas32")
endif()
message(STATUS "GEMM library: OpenBLAS ${GEMM_LIBRARY}")

add_library(Gemm::openblas SHARED IMPORTED)
set_target_properties(Gemm::openblas PROPERTIES
  IMPORTED_LOCATION "${GEMM_LIBRARY}"
  IMPORTED_SONAME "${_gemm_libfile}"
  INTERFACE_INCLUDE_DIRECTORIES "${GEMM_INCLUDE_DIR}")
set(GEMM_RPATH_FROM_PACKAGE "$ORIGIN/../../scipy_openblas32/lib")
