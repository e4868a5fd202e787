// Text written through a TextWriter into a caller's buffer as snprintf writes it: at most
// len - 1 characters and a NUL (nothing when len is 0), the whole length counted. Private
// to the library (src/ is not installed).
#ifndef AARCH64_PAGING_SRC_BOUNDED_TEXT_HPP
#define AARCH64_PAGING_SRC_BOUNDED_TEXT_HPP

#include <stddef.h>

#include "aarch64_paging/text.hpp"

namespace aarch64_paging::detail {

// The sink behind a TextWriter: copies what fits and counts everything.
struct BoundedText {
    char* buf;
    size_t len;
    size_t total;

    static void write(void* ctx, const char* text, size_t n) {
        auto* self = static_cast<BoundedText*>(ctx);
        for (size_t i = 0; i < n; ++i, ++self->total) {
            if (self->total + 1 < self->len) {
                self->buf[self->total] = text[i];
            }
        }
    }
};

// Runs body(TextWriter&) into buf; answers the length of the whole text.
template <class Body>
// NOLINTNEXTLINE(readability-non-const-parameter): written through the sink
size_t format_bounded(char* buf, size_t len, Body&& body) {
    BoundedText sink{buf, buf != nullptr ? len : 0, 0};
    {
        TextWriter out(&BoundedText::write, &sink);
        body(out);
    }
    if (sink.len != 0) {
        sink.buf[sink.total < sink.len ? sink.total : sink.len - 1] = '\0';
    }
    return sink.total;
}

}  // namespace aarch64_paging::detail

#endif
