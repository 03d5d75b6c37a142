#!/bin/bash
# render.sh PAGE - the man page as plain ASCII text on stdout, lines not
# wrapped (200 columns), no bold or underline: what the tests read.
# Warnings go to stderr; the exit status is groff's.
exec groff -man -t -ww -Tascii -P-cbou -rLL=200n "$1"
