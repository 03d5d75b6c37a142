/* error.c - placeholder, being written. */
#include "icmpring.h"
typedef int icr__placeholder_error;
