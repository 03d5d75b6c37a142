/* version.c - owns icr_version(): the library's version string.
 *
 * Built from the ICR_VERSION_* macros of icmpring.h by the preprocessor,
 * so the string and the macros cannot disagree and no meson-generated
 * config header is needed.  Keep those macros equal to project() in
 * meson.build. */
#include "icmpring.h"

/* Two levels so the macros are expanded before they are stringified. */
#define ICR__STR(x) #x
#define ICR__XSTR(x) ICR__STR(x)

ICR_EXPORT const char *icr_version(void)
{
    return ICR__XSTR(ICR_VERSION_MAJOR) "." ICR__XSTR(ICR_VERSION_MINOR) "." ICR__XSTR(
        ICR_VERSION_PATCH);
}
