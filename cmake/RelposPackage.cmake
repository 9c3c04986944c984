# `cmake --install build --prefix P` installs what another project needs:
#   headers            P/include/relpos/...
#   libraries          the layers (core, backends, io, bench, harness) as static archives
#   CMake package      P/lib/cmake/relpos/relposConfig.cmake: find_package(relpos CONFIG REQUIRED)
#                      gives relpos::relpos (core + backends), relpos::io, relpos::bench,
#                      relpos::harness and, where GoogleTest was found, relpos::gtest
#   the CLI            P/bin/relpos
#   the Python module  P/<RELPOS_PYTHON_INSTALL_DIR>/relpos (python/CMakeLists.txt)
include(CMakePackageConfigHelpers)

set(RELPOS_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/relpos)

# Exported names: relpos::core, relpos::backends, ... (the build tree's own names stay relpos_*).
foreach(layer core backends io bench harness)
  set_target_properties(relpos_${layer} PROPERTIES EXPORT_NAME ${layer})
endforeach()
# How the static archives reach third-party libraries that have no imported
# target of their own (OpenBLAS, HDF5's C/C++ libraries, fmt's two forms).
foreach(helper fmt openblas hdf5)
  set_target_properties(relpos_${helper} PROPERTIES EXPORT_NAME detail_${helper})
endforeach()

set(_relpos_exported relpos relpos_core relpos_backends relpos_io relpos_bench relpos_harness
                     relpos_fmt relpos_openblas relpos_hdf5)
if(TARGET relpos_gtest)
  set_target_properties(relpos_gtest PROPERTIES EXPORT_NAME gtest)
  list(APPEND _relpos_exported relpos_gtest)
endif()
install(TARGETS ${_relpos_exported}
        EXPORT relposTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS relpos_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/relpos DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/generated/relpos/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/relpos)
install(EXPORT relposTargets NAMESPACE relpos:: DESTINATION ${RELPOS_CMAKE_INSTALL_DIR})

# What relposConfig.cmake must find before the targets load.
set(RELPOS_CONFIG_HAVE_CUDA ${RELPOS_HAVE_CUDA})
set(RELPOS_CONFIG_CUDA_ROOT "")
if(RELPOS_HAVE_CUDA)
  get_filename_component(RELPOS_CONFIG_CUDA_ROOT "${CUDAToolkit_BIN_DIR}/.." ABSOLUTE)
endif()
if(TARGET relpos_gtest)
  set(RELPOS_CONFIG_HAVE_GTEST ON)
else()
  set(RELPOS_CONFIG_HAVE_GTEST OFF)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/relposConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/relposConfig.cmake
                              INSTALL_DESTINATION ${RELPOS_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/relposConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/relposConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/relposConfigVersion.cmake
        DESTINATION ${RELPOS_CMAKE_INSTALL_DIR})
