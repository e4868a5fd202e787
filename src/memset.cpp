// memset for board builds; see memcpy.cpp for why it is here, alone in its file and weak.
// Table pages are zeroed through it, so whole aligned words go eight bytes at a time.
#include <stddef.h>
#include <stdint.h>

#if !defined(IDMAP_HOST)

// Weak, as memcpy is.
extern "C" [[gnu::weak]] void* memset(void* dst, int c, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    if ((reinterpret_cast<uintptr_t>(d) & 7) == 0) {
        const uint64_t word = static_cast<unsigned char>(c) * uint64_t{0x0101010101010101};
        for (; n >= 8; n -= 8, d += 8) {
            *reinterpret_cast<uint64_t*>(d) = word;
        }
    }
    while (n-- > 0) {
        *d++ = static_cast<unsigned char>(c);
    }
    return dst;
}

#endif
