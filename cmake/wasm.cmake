# The WebAssembly build of the core for the JavaScript package (bindings/js). Configure the root project with
# emscripten's emcmake; bindings/js/scripts/build.sh does it once per variant:
#
#   emcmake cmake -S . -B build/wasm-simd -G Ninja -DBRAID_WASM_VARIANT=simd && cmake --build build/wasm-simd
#
# Variants (one artefact each, chosen by bindings/js at load time by feature detection):
#   simd     -msimd128 kernels, native WebAssembly exceptions (every engine with SIMD since 2022)
#   plain    WebAssembly 1.0 only (no SIMD; C++ exceptions through JavaScript), the fallback
# No OpenMP and no BLAS (CMakeLists.txt and cmake/blas.cmake skip both under EMSCRIPTEN): kernels run on the
# calling thread with the core's portable GEMM, and the synchronous engine (bindings/js/wasm/braid_js.cpp).
set(BRAID_WASM_VARIANT "simd" CACHE STRING "WebAssembly artefact: simd or plain")
set_property(CACHE BRAID_WASM_VARIANT PROPERTY STRINGS simd plain)

if(BRAID_WASM_VARIANT STREQUAL "simd")
  set(_wasm_cflags -msimd128 -fwasm-exceptions -Wno-pass-failed)
  set(_wasm_lflags -fwasm-exceptions)
elseif(BRAID_WASM_VARIANT STREQUAL "plain")
  set(_wasm_cflags -fexceptions -Wno-pass-failed)
  set(_wasm_lflags -fexceptions)
else()
  message(FATAL_ERROR "BRAID_WASM_VARIANT must be simd or plain, got '${BRAID_WASM_VARIANT}'")
endif()
target_compile_options(braid_core PUBLIC ${_wasm_cflags})

# Size: the gzipped .wasm must stay under 1 MB. Every op is registered (and so linked) for every dtype, and most
# of them never run in inference, so the core is built for size (-Os) except the kernels that inference spends
# its time in, which get -O3.
set(_wasm_hot_sources
    core/backends/cpu/gemm.cpp core/backends/cpu/parallel.cpp core/ops/nn/im2col.cpp core/ops/nn/conv_direct.cpp
    core/ops/nn/conv_ops.cpp
    core/ops/nn/pool_ops.cpp core/ops/nn/activation_ops.cpp core/ops/nn/fully_connected.cpp
    core/ops/nn/softmax_ops.cpp core/ops/nn/batch_norm.cpp)
foreach(_src IN LISTS BRAID_CORE_SOURCES BRAID_CAPI_SOURCES)
  get_filename_component(_abs "${_src}" ABSOLUTE)
  file(RELATIVE_PATH _rel "${CMAKE_CURRENT_SOURCE_DIR}" "${_abs}")
  if(_rel IN_LIST _wasm_hot_sources)
    set_property(SOURCE "${_src}" APPEND PROPERTY COMPILE_OPTIONS -O3)
  else()
    set_property(SOURCE "${_src}" APPEND PROPERTY COMPILE_OPTIONS -Os)
  endif()
endforeach()

# The C functions the JavaScript side calls (bindings/js/src/index.js); everything else is dropped.
set(_wasm_exports
    _malloc _free _braid_get_last_error _braid_get_version _braid_get_features
    _braid_predictor_create _braid_predictor_reshape _braid_predictor_set_input _braid_predictor_forward
    _braid_predictor_num_outputs _braid_predictor_output_shape _braid_predictor_get_output _braid_predictor_free
    _braid_symbol_from_json _braid_symbol_list _braid_symbol_free)
list(JOIN _wasm_exports "," _wasm_exports)

add_executable(braid_wasm bindings/js/wasm/braid_js.cpp $<TARGET_OBJECTS:braid_core>)
target_link_libraries(braid_wasm PRIVATE braid_core)
set_target_properties(braid_wasm PROPERTIES OUTPUT_NAME "braid-${BRAID_WASM_VARIANT}" SUFFIX ".mjs")
target_link_options(braid_wasm PRIVATE
  ${_wasm_lflags} -O3
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sENVIRONMENT=web,worker -sEXPORT_NAME=createBraidModule
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sTOTAL_STACK=2MB
  -sFILESYSTEM=0 -sEXIT_RUNTIME=0 -sINCOMING_MODULE_JS_API=wasmBinary,locateFile,instantiateWasm,print,printErr
  "-sEXPORTED_FUNCTIONS=${_wasm_exports}"
  "-sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8,HEAPU8,HEAP32,HEAPF32")
