/* For running the cross-built tests under Wine only; never shipped.
 * Rust's standard library asks bcryptprimitives.dll for ProcessPrng, which Wine 8 does not
 * have. This stand-in answers from RtlGenRandom (SystemFunction036 in advapi32). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
