#!/bin/bash
# gen-api-exports.sh HEADER OUT - every function icmpring.h declares with
# ICR_EXPORT, as ICR_API_EXPORT(name) lines, for test-api-null.c (which
# fails when one has no case).  Same extraction as check-exports.sh.
set -eu
{
    echo "/* Generated from $(basename "$1") by gen-api-exports.sh: do not edit. */"
    tr '\n' ' ' <"$1" | grep -oE 'ICR_EXPORT [^;{]*\(' |
        grep -oE '[A-Za-z_][A-Za-z0-9_]*\($' | tr -d '(' | sort -u |
        sed 's/.*/ICR_API_EXPORT(&)/'
} >"$2"
