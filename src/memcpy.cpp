// memcpy for board builds: compilers emit calls to it for aggregate copies even with
// -ffreestanding (GCC's manual: a freestanding environment must provide memcpy, memmove,
// memset and memcmp). It is alone in its archive member, so a program that has its own
// memcpy links that one and never pulls this in. The host build uses libc's.
#include <stddef.h>

#if !defined(IDMAP_HOST)

// Weak, so that a strong memcpy anywhere in the program (a libc linked in whole) wins
// without a duplicate-symbol error.
extern "C" [[gnu::weak]] void* memcpy(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    while (n-- > 0) {
        *d++ = *s++;
    }
    return dst;
}

#endif
