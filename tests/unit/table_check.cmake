# Shows that the opcode table names every handler: lib/lower.c and lib/validate.c compile
# against a copy of the table, and fail to compile once one line names a handler that does not
# exist. Run by ctest: cmake -DCC=... -DSRC=<repo> -DOUT=<dir> -DFLAGS=<|-list> -P table_check.cmake
string(REPLACE "|" ";" FLAGS "${FLAGS}")
file(MAKE_DIRECTORY ${OUT})
file(READ ${SRC}/lib/opcodes.def table)
file(COPY ${SRC}/lib/opcodes_simd.def DESTINATION ${OUT})

# Compiles lib/<file> (syntax only) against the table text `text`; sets rc and log.
function(compile file text)
    file(WRITE ${OUT}/opcodes.def "${text}")
    execute_process(COMMAND ${CC} ${FLAGS} -fsyntax-only -Werror=implicit-function-declaration
                            "-DWK_OPCODES_DEF=\"${OUT}/opcodes.def\"" ${SRC}/lib/${file}
                    RESULT_VARIABLE rc ERROR_VARIABLE log OUTPUT_QUIET)
    set(rc ${rc} PARENT_SCOPE)
    set(log "${log}" PARENT_SCOPE)
endfunction()

# Each case: file, the table line's text, its replacement, the identifier the error names.
set(cases
    "lower.c|IMM_NONE, T(ii_i), 0, 0, ibinop, LLVMAdd)|IMM_NONE, T(ii_i), 0, 0, no_such_handler, LLVMAdd)|lower_no_such_handler"
    "validate.c|V(br_if, in)|V(no_such_check, in)|check_no_such_check")
foreach(c ${cases})
    string(REPLACE "|" ";" c "${c}")
    list(GET c 0 file)
    list(GET c 1 line)
    list(GET c 2 broken)
    list(GET c 3 name)
    compile(${file} "${table}")
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${file} does not compile against the unedited table:\n${log}")
    endif()
    string(FIND "${table}" "${line}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "table line '${line}' not found in lib/opcodes.def")
    endif()
    string(REPLACE "${line}" "${broken}" edited "${table}")
    compile(${file} "${edited}")
    if(rc EQUAL 0)
        message(FATAL_ERROR "${file} compiled although a table line names ${name}, which does not exist")
    endif()
    string(FIND "${log}" "${name}" named)
    if(named EQUAL -1)
        message(FATAL_ERROR "${file} failed, but not on the missing ${name}:\n${log}")
    endif()
    message(STATUS "${file}: a table line naming the missing ${name} fails to compile, as it should")
endforeach()
