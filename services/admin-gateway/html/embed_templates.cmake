# adcp_embed_templates(<target> DIR <dir> NAMESPACE <ns> FUNCTION <name>)
# compiles the .tpl files of <dir> into <target>: a generated source defines
#   std::span<const adcp::admin_gateway::html::TemplateSource> <ns>::<name>()
# listing each file by its file name, sorted, for TemplateSet::Load. The
# caller declares the function. Run with -P, this file writes that source.
if(NOT CMAKE_SCRIPT_MODE_FILE)
  function(adcp_embed_templates target)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "DIR;NAMESPACE;FUNCTION" "")
    file(GLOB files CONFIGURE_DEPENDS "${ARG_DIR}/*.tpl")
    set(output "${CMAKE_CURRENT_BINARY_DIR}/${ARG_FUNCTION}.cc")
    add_custom_command(
      OUTPUT "${output}"
      COMMAND ${CMAKE_COMMAND} -DDIR=${ARG_DIR} -DOUTPUT=${output}
        -DNAMESPACE=${ARG_NAMESPACE} -DFUNCTION=${ARG_FUNCTION}
        -P ${CMAKE_CURRENT_FUNCTION_LIST_FILE}
      DEPENDS ${files} ${CMAKE_CURRENT_FUNCTION_LIST_FILE}
      COMMENT "Embedding templates of ${ARG_DIR}")
    target_sources(${target} PRIVATE "${output}")
  endfunction()
  return()
endif()

file(GLOB files RELATIVE "${DIR}" "${DIR}/*.tpl")
list(SORT files)
set(body "")
foreach(name ${files})
  file(READ "${DIR}/${name}" text)
  string(FIND "${text}" ")adcp_tpl\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${name} contains the raw-string delimiter )adcp_tpl\"")
  endif()
  string(APPEND body "      {\"${name}\", R\"adcp_tpl(${text})adcp_tpl\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${DIR} by embed_templates.cmake. Do not edit.
#include <span>

#include \"services/admin-gateway/html/template_set.h\"

namespace ${NAMESPACE} {

std::span<const ::adcp::admin_gateway::html::TemplateSource> ${FUNCTION}() {
  static const ::adcp::admin_gateway::html::TemplateSource kTemplates[] = {
${body}  };
  return kTemplates;
}

}  // namespace ${NAMESPACE}
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
