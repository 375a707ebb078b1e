# Writes a C++ source defining `std::string_view <FUNCTION>()` (in namespace
# <NAMESPACE>) that returns the bytes of <INPUT>; run at build time, so editing the
# input file rebuilds the one small translation unit.
#   cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DNAMESPACE=<ns> -DFUNCTION=<name> -P embed_text.cmake
file(READ "${INPUT}" content)
string(FIND "${content}" ")sf_embedded\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )sf_embedded\"")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by embed_text.cmake; do not edit.\n"
"#include <string_view>\n"
"namespace ${NAMESPACE} {\n"
"std::string_view ${FUNCTION}() {\n"
"  static constexpr std::string_view text = R\"sf_embedded(${content})sf_embedded\";\n"
"  return text;\n"
"}\n"
"}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
