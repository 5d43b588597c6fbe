# nac_add_plugin(NAME [ENGINE] [DATA] SOURCES...): a nac plugin library, nac_NAME.so.
#
# It links nac::core (the plugin interfaces, the registry, the base); ENGINE adds the nn engine
# (nac::nn: dataset tasks, blocks that add an op with its layer, compressors), DATA the array
# files (nac::data: .npy, .npz, HDF5). Symbols are hidden except the entry point NAC_PLUGIN
# declares. `cmake --install` puts it in lib/nac/plugins/ of the install prefix, where an
# installed nac looks for plugins; NAC_PLUGIN_PATH or `--plugin-dir` find it anywhere else.
#
# Shared by nac's own build and the installed CMake package (find_package(nac)).
include_guard(GLOBAL)
include(GNUInstallDirs)

function(nac_add_plugin name)
  cmake_parse_arguments(arg "ENGINE;DATA" "" "" ${ARGN})
  if(NOT arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "nac_add_plugin(${name}): no source files")
  endif()
  set(target nac_${name})
  add_library(${target} MODULE ${arg_UNPARSED_ARGUMENTS})
  target_link_libraries(${target} PRIVATE nac::core)
  if(arg_ENGINE)
    target_link_libraries(${target} PRIVATE nac::nn)
  endif()
  if(arg_DATA)
    target_link_libraries(${target} PRIVATE nac::data)
  endif()
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  if(NOT NAC_FUZZ)  # (nac's fuzz build: the sanitizer runtimes are in the executable)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  if(DEFINED NAC_PLUGIN_OUTPUT_DIR)  # nac's own build tree: next to the other plugins
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${NAC_PLUGIN_OUTPUT_DIR}
                                               BUILD_RPATH "$ORIGIN/../lib")
    if(TARGET nac_plugins)
      add_dependencies(nac_plugins ${target})
    endif()
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/nac/plugins)
endfunction()
